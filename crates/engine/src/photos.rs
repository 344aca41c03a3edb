//! Photos of listings and their inventories: checked, resized and kept through the
//! `object_store` crate (the local filesystem in the embedded default, S3 — or anything else
//! `object_store` reads from a URL — in production).
//!
//! An upload is decoded (JPEG, PNG or WebP; at most [`MAX_BYTES`] and [`MAX_PIXELS`]): what does
//! not decode as the type it claims is refused, so nothing but real images is ever served. It
//! is kept as `photos/<photo id>/original` (the bytes as sent) plus JPEG variants
//! `photos/<photo id>/w<width>` for each of [`WIDTHS`] narrower than the original (aspect kept).
//! A photo id is new for every upload, so every stored object is immutable: served with a
//! year-long cache lifetime. The photo's facts (its listing, inventory, size, variants, alt
//! text) are the listing's events (`ListingPhotoAdded` / `ListingPhotoRemoved`).

use std::io::Cursor;
use std::sync::Arc;

use bytes::Bytes;
use futures::StreamExt;
use image::{ImageFormat, ImageReader, Limits};
use object_store::path::Path;
use object_store::{GetOptions, ObjectStore, PutOptions, PutPayload};

/// The largest upload, in bytes.
pub const MAX_BYTES: usize = 8 * 1024 * 1024;
/// The most pixels (width × height) an upload may have.
pub const MAX_PIXELS: u64 = 40_000_000;
/// The widths of the JPEG variants made (each only when narrower than the original).
pub const WIDTHS: [u32; 3] = [320, 960, 1920];
/// JPEG quality of the variants.
pub const JPEG_QUALITY: u8 = 82;

/// Why a photo was refused or could not be kept.
#[derive(Debug, thiserror::Error)]
pub enum PhotoError {
    /// A content type other than JPEG, PNG or WebP.
    #[error("a photo is image/jpeg, image/png or image/webp, not {0}")]
    UnsupportedType(String),
    /// More than [`MAX_BYTES`].
    #[error("a photo is at most {max} bytes, got {got}")]
    TooLarge {
        /// Bytes sent.
        got: usize,
        /// The limit.
        max: usize,
    },
    /// Not an image of the type it claims (or over the pixel limit).
    #[error("not a readable {kind} image: {reason}")]
    Unreadable {
        /// The claimed type.
        kind: &'static str,
        /// What the decoder said.
        reason: String,
    },
    /// The object store failed.
    #[error("photo storage: {0}")]
    Store(String),
    /// No such object.
    #[error("no such photo")]
    NotFound,
}

impl From<PhotoError> for crate::error::EngineError {
    fn from(e: PhotoError) -> Self {
        use crate::error::ErrorCode;
        let code = match e {
            PhotoError::Store(_) => ErrorCode::Unavailable,
            PhotoError::NotFound => ErrorCode::NotFound,
            _ => ErrorCode::InvalidInput,
        };
        crate::error::EngineError::new(code, e.to_string())
    }
}

/// A decoded upload, ready to keep.
#[derive(Debug)]
pub struct Processed {
    /// Its width in pixels.
    pub width: u32,
    /// Its height in pixels.
    pub height: u32,
    /// The bytes as sent, and their content type.
    pub original: (Bytes, &'static str),
    /// JPEG variants: (width, bytes).
    pub variants: Vec<(u32, Bytes)>,
}

/// Checks and resizes an upload of `content_type` (CPU-bound: run it on a blocking thread).
///
/// # Errors
///
/// [`PhotoError::UnsupportedType`], [`PhotoError::TooLarge`], [`PhotoError::Unreadable`].
pub fn process(bytes: Bytes, content_type: &str) -> Result<Processed, PhotoError> {
    let mime = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let (format, kind): (ImageFormat, &'static str) = match mime.as_str() {
        "image/jpeg" | "image/jpg" => (ImageFormat::Jpeg, "image/jpeg"),
        "image/png" => (ImageFormat::Png, "image/png"),
        "image/webp" => (ImageFormat::WebP, "image/webp"),
        _ => return Err(PhotoError::UnsupportedType(mime)),
    };
    if bytes.len() > MAX_BYTES {
        return Err(PhotoError::TooLarge {
            got: bytes.len(),
            max: MAX_BYTES,
        });
    }
    let unreadable = |reason: String| PhotoError::Unreadable { kind, reason };
    let mut reader = ImageReader::with_format(Cursor::new(&bytes[..]), format);
    let mut limits = Limits::default();
    limits.max_alloc = Some(MAX_PIXELS * 4 + 16 * 1024 * 1024);
    reader.limits(limits);
    let (width, height) = reader
        .into_dimensions()
        .map_err(|e| unreadable(e.to_string()))?;
    if u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(unreadable(format!(
            "{width}×{height} is more than {MAX_PIXELS} pixels"
        )));
    }
    let mut reader = ImageReader::with_format(Cursor::new(&bytes[..]), format);
    let mut limits = Limits::default();
    limits.max_alloc = Some(MAX_PIXELS * 4 + 16 * 1024 * 1024);
    reader.limits(limits);
    let image = reader.decode().map_err(|e| unreadable(e.to_string()))?;
    let mut variants = Vec::new();
    for target in WIDTHS.into_iter().filter(|w| *w < width) {
        let scaled_height = ((u64::from(height) * u64::from(target)) / u64::from(width)).max(1);
        let resized = image
            .resize_exact(
                target,
                u32::try_from(scaled_height).unwrap_or(1),
                image::imageops::FilterType::Lanczos3,
            )
            .into_rgb8();
        let mut out = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY)
            .encode_image(&resized)
            .map_err(|e| unreadable(e.to_string()))?;
        variants.push((target, Bytes::from(out)));
    }
    Ok(Processed {
        width,
        height,
        original: (bytes, kind),
        variants,
    })
}

/// Where photos are kept.
#[derive(Clone, Debug)]
pub struct PhotoStore {
    store: Arc<dyn ObjectStore>,
    prefix: Path,
}

fn store_error(e: object_store::Error) -> PhotoError {
    match e {
        object_store::Error::NotFound { .. } => PhotoError::NotFound,
        e => PhotoError::Store(e.to_string()),
    }
}

impl PhotoStore {
    /// Photos in `store` under `prefix`.
    pub fn new(store: Arc<dyn ObjectStore>, prefix: Path) -> Self {
        Self { store, prefix }
    }

    /// Photos in a local directory (created if missing).
    ///
    /// # Errors
    ///
    /// [`PhotoError::Store`] when the directory cannot be made or used.
    pub fn local(dir: &std::path::Path) -> Result<Self, PhotoError> {
        std::fs::create_dir_all(dir).map_err(|e| PhotoError::Store(e.to_string()))?;
        let fs = object_store::local::LocalFileSystem::new_with_prefix(dir)
            .map_err(|e| PhotoError::Store(e.to_string()))?;
        Ok(Self::new(Arc::new(fs), Path::from("photos")))
    }

    /// Photos at a URL `object_store` reads (`s3://bucket/prefix`, `file:///srv/photos`; S3
    /// credentials and region from the usual `AWS_*` variables).
    ///
    /// # Errors
    ///
    /// [`PhotoError::Store`] for a URL it cannot use.
    pub fn from_url(url: &str) -> Result<Self, PhotoError> {
        let parsed = url::Url::parse(url).map_err(|e| PhotoError::Store(e.to_string()))?;
        let (store, prefix) = object_store::parse_url_opts(
            &parsed,
            std::env::vars().filter(|(k, _)| k.starts_with("AWS_")),
        )
        .map_err(|e| PhotoError::Store(e.to_string()))?;
        Ok(Self::new(Arc::from(store), prefix))
    }

    fn path(&self, photo_id: &str, name: &str) -> Path {
        self.prefix.clone().join(photo_id).join(name)
    }

    /// Keeps a processed photo's original and variants under `photo_id`.
    ///
    /// # Errors
    ///
    /// [`PhotoError::Store`].
    pub async fn put(&self, photo_id: &str, photo: &Processed) -> Result<(), PhotoError> {
        let put = |name: String, bytes: Bytes| {
            let path = self.path(photo_id, &name);
            async move {
                self.store
                    .put_opts(&path, PutPayload::from(bytes), PutOptions::default())
                    .await
                    .map(|_| ())
                    .map_err(store_error)
            }
        };
        for (width, bytes) in &photo.variants {
            put(format!("w{width}"), bytes.clone()).await?;
        }
        put("original".into(), photo.original.0.clone()).await
    }

    /// A kept object: `original` or `w<width>`.
    ///
    /// # Errors
    ///
    /// [`PhotoError::NotFound`], [`PhotoError::Store`].
    pub async fn get(&self, photo_id: &str, name: &str) -> Result<Bytes, PhotoError> {
        let path = self.path(photo_id, name);
        self.store
            .get_opts(&path, GetOptions::default())
            .await
            .map_err(store_error)?
            .bytes()
            .await
            .map_err(store_error)
    }

    /// Deletes a photo's objects (what is already gone is fine).
    ///
    /// # Errors
    ///
    /// [`PhotoError::Store`].
    pub async fn delete(&self, photo_id: &str, widths: &[u32]) -> Result<(), PhotoError> {
        let mut paths: Vec<object_store::Result<Path>> = widths
            .iter()
            .map(|w| Ok(self.path(photo_id, &format!("w{w}"))))
            .collect();
        paths.push(Ok(self.path(photo_id, "original")));
        let mut results = self
            .store
            .delete_stream(futures::stream::iter(paths).boxed());
        while let Some(result) = results.next().await {
            match result {
                Ok(_) | Err(object_store::Error::NotFound { .. }) => {}
                Err(e) => return Err(store_error(e)),
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(width: u32, height: u32) -> Bytes {
        let image = image::RgbImage::from_fn(width, height, |x, y| {
            image::Rgb([(x % 256) as u8, (y % 256) as u8, 128])
        });
        let mut out = Cursor::new(Vec::new());
        image.write_to(&mut out, ImageFormat::Png).unwrap();
        Bytes::from(out.into_inner())
    }

    #[test]
    fn an_upload_is_checked_and_resized_to_the_widths_below_it() {
        let p = process(png(1000, 500), "image/png").unwrap();
        assert_eq!((p.width, p.height), (1000, 500));
        let widths: Vec<u32> = p.variants.iter().map(|(w, _)| *w).collect();
        assert_eq!(widths, [320, 960]);
        let small = image::load_from_memory(&p.variants[0].1).unwrap();
        assert_eq!((small.width(), small.height()), (320, 160));
        assert_eq!(p.original.1, "image/png");
        // Small images get no variants.
        assert!(
            process(png(200, 100), "image/png")
                .unwrap()
                .variants
                .is_empty()
        );
    }

    #[test]
    fn what_is_not_an_image_of_its_type_is_refused() {
        assert!(matches!(
            process(Bytes::from_static(b"hello"), "text/plain"),
            Err(PhotoError::UnsupportedType(_))
        ));
        assert!(matches!(
            process(Bytes::from_static(b"not a png at all"), "image/png"),
            Err(PhotoError::Unreadable { .. })
        ));
        // A PNG sent as a JPEG is not a JPEG.
        assert!(matches!(
            process(png(10, 10), "image/jpeg"),
            Err(PhotoError::Unreadable { .. })
        ));
        assert!(matches!(
            process(Bytes::from(vec![0u8; MAX_BYTES + 1]), "image/png"),
            Err(PhotoError::TooLarge { .. })
        ));
    }
}
