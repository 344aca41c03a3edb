//! Geohash cells and distances for "near" searches. A geohash is small enough to write here
//! (and to pin with the reference value) rather than depend on a crate for it.

use std::collections::BTreeSet;

const BASE32: &[u8; 32] = b"0123456789bcdefghjkmnpqrstuvwxyz";
const EARTH_RADIUS_KM: f64 = 6_371.008_8;
const KM_PER_DEGREE_LAT: f64 = 111.32;

/// The geohash of a point at `precision` characters.
pub fn geohash(lat: f64, lon: f64, precision: usize) -> String {
    let (mut lat_lo, mut lat_hi) = (-90.0_f64, 90.0_f64);
    let (mut lon_lo, mut lon_hi) = (-180.0_f64, 180.0_f64);
    let mut out = String::with_capacity(precision);
    let mut even = true; // longitude first
    let (mut bits, mut value) = (0, 0usize);
    while out.len() < precision {
        let (lo, hi, x) = if even {
            (&mut lon_lo, &mut lon_hi, lon)
        } else {
            (&mut lat_lo, &mut lat_hi, lat)
        };
        let mid = (*lo + *hi) / 2.0;
        value <<= 1;
        if x >= mid {
            value |= 1;
            *lo = mid;
        } else {
            *hi = mid;
        }
        even = !even;
        bits += 1;
        if bits == 5 {
            out.push(char::from(BASE32[value]));
            bits = 0;
            value = 0;
        }
    }
    out
}

/// A cell's height and width in degrees at `precision`.
pub(crate) fn cell_size(precision: usize) -> (f64, f64) {
    let bits = 5 * precision as i32;
    let lon_bits = (bits + 1) / 2;
    let lat_bits = bits / 2;
    (180.0 / 2f64.powi(lat_bits), 360.0 / 2f64.powi(lon_bits))
}

/// Great-circle distance in kilometres (haversine).
pub fn distance_km(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = (lat2 - lat1).to_radians();
    let dl = (lon2 - lon1).to_radians();
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_KM * a.sqrt().asin()
}

fn wrap_lon(lon: f64) -> f64 {
    let mut l = (lon + 180.0).rem_euclid(360.0) - 180.0;
    if l >= 180.0 {
        l -= 360.0;
    }
    l
}

/// The cells of `precision` covering the bounding box of a circle, or `None` if that takes
/// more than `max_cells`.
pub(crate) fn covering_cells(
    lat: f64,
    lon: f64,
    radius_km: f64,
    precision: usize,
    max_cells: usize,
) -> Option<BTreeSet<String>> {
    let (cell_lat, cell_lon) = cell_size(precision);
    let dlat = radius_km / KM_PER_DEGREE_LAT;
    let cos = lat.to_radians().cos().abs().max(1e-6);
    let dlon = (radius_km / (KM_PER_DEGREE_LAT * cos)).min(180.0);
    let (lat_min, lat_max) = ((lat - dlat).max(-90.0), (lat + dlat).min(90.0));
    let n_lat = ((lat_max - lat_min) / cell_lat).ceil() as usize + 1;
    let n_lon = ((2.0 * dlon) / cell_lon).ceil() as usize + 1;
    if n_lat.saturating_mul(n_lon) > max_cells {
        return None;
    }
    let mut cells = BTreeSet::new();
    for i in 0..=n_lat {
        let la = (lat_min + i as f64 * cell_lat).min(lat_max);
        for j in 0..=n_lon {
            let lo = (lon - dlon + j as f64 * cell_lon).min(lon + dlon);
            cells.insert(geohash(la, wrap_lon(lo), precision));
        }
    }
    Some(cells)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn geohash_matches_the_reference_value() {
        assert_eq!(geohash(57.64911, 10.40744, 11), "u4pruydqqvj");
        assert_eq!(geohash(37.5665, 126.978, 5), "wydm9");
    }

    #[test]
    fn cells_have_the_documented_sizes() {
        let (h5, w5) = cell_size(5);
        assert!((h5 - 0.0439).abs() < 1e-3 && (w5 - 0.0439).abs() < 1e-3);
        let (h4, w4) = cell_size(4);
        assert!((h4 - 0.1758).abs() < 1e-3 && (w4 - 0.3516).abs() < 1e-3);
    }

    #[test]
    fn a_covering_contains_every_point_within_the_radius() {
        let (lat, lon) = (37.5665, 126.978);
        let cells = covering_cells(lat, lon, 3.0, 5, 100).unwrap();
        for k in 0..36 {
            let angle = (k as f64 * 10.0).to_radians();
            let (plat, plon) = (
                lat + 2.9 / KM_PER_DEGREE_LAT * angle.sin(),
                lon + 2.9 / (KM_PER_DEGREE_LAT * lat.to_radians().cos()) * angle.cos(),
            );
            assert!(distance_km(lat, lon, plat, plon) < 3.0);
            assert!(cells.contains(&geohash(plat, plon, 5)), "{plat},{plon}");
        }
        assert!(covering_cells(lat, lon, 30.0, 5, 25).is_none());
    }

    #[test]
    fn distances_are_great_circle() {
        // Seoul City Hall to Gangnam station: about 8.9 km.
        let d = distance_km(37.5665, 126.978, 37.4979, 127.0276);
        assert!((8.0..9.5).contains(&d), "{d}");
    }
}
