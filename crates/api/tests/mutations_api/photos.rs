//! Photos on the real server, kept on the local filesystem through `object_store`: uploaded by
//! the listing's operators, checked (type, size, real image), resized, served with long cache
//! lifetimes, shown on the listing and in search, and removed.

use std::io::Cursor;

use serde_json::{Value, json};

use crate::fixtures::*;
use crate::support::{TestApp, error_code, guest, operator, spawn_app};

fn png(width: u32, height: u32) -> Vec<u8> {
    let image = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 200])
    });
    let mut out = Cursor::new(Vec::new());
    image.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

async fn upload(
    app: &TestApp,
    token: Option<&str>,
    listing: &str,
    query: &str,
    content_type: &str,
    body: Vec<u8>,
) -> (u16, Value) {
    let mut request = app
        .http
        .post(format!(
            "{}/operator/listings/{listing}/photos{query}",
            app.base
        ))
        .header("content-type", content_type)
        .body(body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let body = response.json::<Value>().await.unwrap_or(Value::Null);
    (status, body)
}

const PHOTOS: &str = "query($id: ID!, $t: String) { listing(id: $id, consistencyToken: $t) {
    photos { id inventoryId width height alt url variants { width url } } } }";

#[tokio::test]
async fn photos_are_checked_resized_served_and_removed() {
    let app = spawn_app().await;
    let (_, op) = operator();
    let (listing, inventory) = event_venue(&app, &op, 4).await;
    // A 2000×1000 PNG of the whole listing, then one of its inventory.
    let (status, first) = upload(
        &app,
        Some(&op),
        &listing,
        "?alt=The%20terrace%20at%20night",
        "image/png",
        png(2000, 1000),
    )
    .await;
    assert_eq!(status, 201, "{first}");
    assert_eq!(first["widths"], json!([320, 960, 1920]));
    let (status, second) = upload(
        &app,
        Some(&op),
        &listing,
        &format!("?inventoryId={inventory}"),
        "image/png",
        png(600, 400),
    )
    .await;
    assert_eq!(status, 201, "{second}");
    let t = second["consistencyToken"].as_str().unwrap().to_owned();
    let photos =
        app.ok(None, PHOTOS, json!({"id": listing, "t": t})).await["listing"]["photos"].clone();
    let first_id = first["photoId"].as_str().unwrap();
    assert_eq!(
        photos[0],
        json!({"id": first_id, "inventoryId": null, "width": 2000, "height": 1000,
               "alt": "The terrace at night", "url": format!("/photos/{first_id}/original"),
               "variants": [
                   {"width": 320, "url": format!("/photos/{first_id}/w320")},
                   {"width": 960, "url": format!("/photos/{first_id}/w960")},
                   {"width": 1920, "url": format!("/photos/{first_id}/w1920")}]})
    );
    assert_eq!(photos[1]["inventoryId"], inventory);
    assert_eq!(
        photos[1]["variants"],
        json!([{"width": 320,
        "url": format!("/photos/{}/w320", second["photoId"].as_str().unwrap())}])
    );

    // Served: each variant a JPEG of its width, the original as sent, cached for a year.
    for (name, width) in [
        ("w320", 320),
        ("w960", 960),
        ("w1920", 1920),
        ("original", 2000),
    ] {
        let response = app
            .http
            .get(format!("{}/photos/{first_id}/{name}", app.base))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{name}");
        let kind = response.headers()["content-type"]
            .to_str()
            .unwrap()
            .to_owned();
        assert_eq!(
            kind,
            if name == "original" {
                "image/png"
            } else {
                "image/jpeg"
            }
        );
        assert_eq!(
            response.headers()["cache-control"],
            "public, max-age=31536000, immutable"
        );
        let etag = response.headers()["etag"].to_str().unwrap().to_owned();
        let bytes = response.bytes().await.unwrap();
        let image = image::load_from_memory(&bytes).unwrap();
        assert_eq!(image.width(), width, "{name}");
        assert_eq!(image.height(), width / 2, "{name}");
        let again = app
            .http
            .get(format!("{}/photos/{first_id}/{name}", app.base))
            .header("if-none-match", etag)
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), 304);
    }
    // Kept on the filesystem behind object_store.
    assert!(
        app.photos_dir
            .path()
            .join(format!("photos/{first_id}/w960"))
            .exists()
    );

    // Refusals: who, what type, what bytes, how big.
    let (_, other) = operator();
    let (_, g) = guest();
    for (token, status) in [
        (None, 401),
        (Some(other.as_str()), 403),
        (Some(g.as_str()), 403),
    ] {
        let (got, body) = upload(&app, token, &listing, "", "image/png", png(10, 10)).await;
        assert_eq!(got, status, "{body}");
    }
    let cases: Vec<(&str, Vec<u8>, u16)> = vec![
        ("text/plain", b"hello".to_vec(), 415),
        ("image/png", b"not a png at all".to_vec(), 422),
        ("image/jpeg", png(10, 10), 422),
        ("image/png", vec![0u8; 9 * 1024 * 1024], 413),
    ];
    for (kind, body, status) in cases {
        let (got, answer) = upload(&app, Some(&op), &listing, "", kind, body).await;
        assert_eq!(got, status, "{kind}: {answer}");
    }
    let (got, _) = upload(
        &app,
        Some(&op),
        &listing,
        &format!("?inventoryId={}", ulid::Ulid::new()),
        "image/png",
        png(10, 10),
    )
    .await;
    assert_eq!(got, 404, "an inventory of no listing of theirs");
    let (got, _) = upload(
        &app,
        Some(&op),
        &ulid::Ulid::new().to_string(),
        "",
        "image/png",
        png(10, 10),
    )
    .await;
    assert_eq!(got, 404);
    for bad in ["/photos/nope/w320", &format!("/photos/{first_id}/w321")] {
        let r = app
            .http
            .get(format!("{}{bad}", app.base))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404, "{bad}");
    }

    // Removed: gone from the listing, its files deleted; removing again is refused.
    let remove = "mutation($key: String!, $l: ID!, $p: ID!) {
        removeListingPhoto(idempotencyKey: $key, listingId: $l, photoId: $p) { consistencyToken } }";
    let t = app
        .ok(
            Some(&op),
            remove,
            json!({"key": key(), "l": listing, "p": first_id}),
        )
        .await["removeListingPhoto"]["consistencyToken"]
        .as_str()
        .unwrap()
        .to_owned();
    let photos =
        app.ok(None, PHOTOS, json!({"id": listing, "t": t})).await["listing"]["photos"].clone();
    assert_eq!(photos.as_array().unwrap().len(), 1);
    let r = app
        .http
        .get(format!("{}/photos/{first_id}/w320", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let again = app
        .graphql(
            Some(&op),
            remove,
            json!({"key": key(), "l": listing, "p": first_id}),
        )
        .await;
    assert_eq!(error_code(&again), Some("INVALID_INPUT"), "{again}");
    let theirs = app
        .graphql(
            Some(&other),
            remove,
            json!({"key": key(), "l": listing, "p": second["photoId"]}),
        )
        .await;
    assert_eq!(error_code(&theirs), Some("FORBIDDEN"), "{theirs}");
    // Photos, inventories' content and attributes survive a rebuild and verify clean.
    crate::support_verify::rebuilt_and_verified(
        &app,
        &[holdfast_projections::store::Table::Search],
    )
    .await;
    let photos = app.ok(None, PHOTOS, json!({"id": listing})).await["listing"]["photos"].clone();
    assert_eq!(photos.as_array().unwrap().len(), 1, "{photos}");
}
