//! The `Holdfast-Signature` scheme, used both ways: to verify payment provider webhooks
//! (`POST /webhooks/payments`) and to sign the notifications Holdfast sends to webhook sinks.
//!
//! ```text
//! Holdfast-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>
//! ```
//!
//! Several `v1=` values may be present (a sender rotating its secret signs with both); the
//! header verifies when any of them does. The comparison is constant-time (`hmac`'s
//! `verify_slice`). The timestamp is signed with the body, so a captured request cannot be
//! replayed later than the receiver's tolerance; unknown `key=value` parts are ignored (room
//! for a `v2`).

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::secret::Secret;

/// The header's name.
pub const HEADER: &str = "Holdfast-Signature";

type HmacSha256 = Hmac<Sha256>;

/// Why a signature header does not verify.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// No header.
    #[error("the Holdfast-Signature header is missing")]
    Missing,
    /// Not `t=…,v1=…` (no timestamp, no `v1`, or a value that does not parse).
    #[error("the Holdfast-Signature header is malformed: {0}")]
    Malformed(&'static str),
    /// No `v1` matches the body and timestamp under the secret.
    #[error("no signature in the Holdfast-Signature header matches the body")]
    Mismatch,
    /// The signature matches, but its timestamp is further than the tolerance from now.
    #[error(
        "the signature's timestamp is {skew_seconds} s from now (tolerance {tolerance_seconds} s)"
    )]
    Expired {
        /// `|now - t|`, in seconds.
        skew_seconds: i64,
        /// The tolerance.
        tolerance_seconds: i64,
    },
}

/// A parsed header: the timestamp and every `v1` signature.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignatureHeader {
    /// `t`, unix seconds.
    pub timestamp: i64,
    /// Each `v1`, decoded from hex.
    pub v1: Vec<Vec<u8>>,
}

impl SignatureHeader {
    /// Parses `t=…,v1=…[,v1=…]`.
    pub fn parse(header: &str) -> Result<Self, SignatureError> {
        let mut timestamp = None;
        let mut v1 = Vec::new();
        for part in header.split(',') {
            let (key, value) = part
                .trim()
                .split_once('=')
                .ok_or(SignatureError::Malformed("expected key=value parts"))?;
            match key {
                "t" => {
                    let t = value
                        .parse::<i64>()
                        .map_err(|_| SignatureError::Malformed("t is not unix seconds"))?;
                    if timestamp.replace(t).is_some() {
                        return Err(SignatureError::Malformed("t given twice"));
                    }
                }
                "v1" => v1.push(
                    hex::decode(value)
                        .map_err(|_| SignatureError::Malformed("v1 is not hexadecimal"))?,
                ),
                _ => {}
            }
        }
        let timestamp = timestamp.ok_or(SignatureError::Malformed("no t= timestamp"))?;
        if v1.is_empty() {
            return Err(SignatureError::Malformed("no v1= signature"));
        }
        Ok(Self { timestamp, v1 })
    }
}

fn mac(secret: &Secret, timestamp: i64, body: &[u8]) -> HmacSha256 {
    // HMAC takes keys of any length: this cannot fail.
    let mut mac = HmacSha256::new_from_slice(secret.expose()).expect("HMAC accepts any key");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// The `v1` signature of `body` at `timestamp`, in hex.
pub fn sign_v1(secret: &Secret, timestamp: i64, body: &[u8]) -> String {
    hex::encode(mac(secret, timestamp, body).finalize().into_bytes())
}

/// The whole header value for `body` signed at `at`: `t=<unix>,v1=<hex>`.
pub fn header_value(secret: &Secret, at: DateTime<Utc>, body: &[u8]) -> String {
    let t = at.timestamp();
    format!("t={t},v1={}", sign_v1(secret, t, body))
}

/// Verifies a header against `body`: some `v1` must match under `secret` (constant-time), and
/// its timestamp must be within `tolerance` of `now`. The signature is checked first, so an
/// unsigned request never learns anything about the clock.
pub fn verify(
    secret: &Secret,
    header: Option<&str>,
    body: &[u8],
    now: DateTime<Utc>,
    tolerance: chrono::Duration,
) -> Result<SignatureHeader, SignatureError> {
    let parsed = SignatureHeader::parse(header.ok_or(SignatureError::Missing)?)?;
    let expected = mac(secret, parsed.timestamp, body);
    if !parsed
        .v1
        .iter()
        .any(|candidate| expected.clone().verify_slice(candidate).is_ok())
    {
        return Err(SignatureError::Mismatch);
    }
    let skew = (now.timestamp() - parsed.timestamp).abs();
    if skew > tolerance.num_seconds() {
        return Err(SignatureError::Expired {
            skew_seconds: skew,
            tolerance_seconds: tolerance.num_seconds(),
        });
    }
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;

    fn secret() -> Secret {
        Secret::new("whsec_test_0123456789")
    }

    fn at(t: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(t, 0).unwrap()
    }

    #[test]
    fn a_signed_body_verifies_within_the_tolerance() {
        let body = br#"{"id":"evt_1"}"#;
        let header = header_value(&secret(), at(1_900_000_000), body);
        let ok = verify(
            &secret(),
            Some(&header),
            body,
            at(1_900_000_299),
            Duration::seconds(300),
        )
        .unwrap();
        assert_eq!(ok.timestamp, 1_900_000_000);
        assert_eq!(
            verify(
                &secret(),
                Some(&header),
                body,
                at(1_900_000_301),
                Duration::seconds(300)
            ),
            Err(SignatureError::Expired {
                skew_seconds: 301,
                tolerance_seconds: 300
            })
        );
    }

    #[test]
    fn the_known_answer_matches_an_independent_hmac() {
        // HMAC-SHA256(key="key", "1.x"), computed independently (openssl dgst -sha256 -hmac key).
        let v1 = sign_v1(&Secret::new("key"), 1, b"x");
        assert_eq!(v1.len(), 64);
        assert_eq!(
            v1,
            "fc4913c41a7bf793267e2a384f3261c9436ec2cd097bd745e7b0d99113f510ec"
        );
    }

    #[test]
    fn any_of_several_v1_values_may_match_and_tampering_fails() {
        let body = b"payload";
        let good = sign_v1(&secret(), 10, body);
        let other = sign_v1(&Secret::new("old-secret"), 10, body);
        let header = format!("t=10,v1={other},v1={good}");
        assert!(verify(&secret(), Some(&header), body, at(10), Duration::seconds(5)).is_ok());
        assert_eq!(
            verify(
                &secret(),
                Some(&header),
                b"payload!",
                at(10),
                Duration::seconds(5)
            ),
            Err(SignatureError::Mismatch)
        );
        let moved = format!("t=11,v1={good}");
        assert_eq!(
            verify(&secret(), Some(&moved), body, at(10), Duration::seconds(5)),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn malformed_headers_are_named() {
        for (header, what) in [
            ("", "expected key=value parts"),
            ("v1=00", "no t= timestamp"),
            ("t=1", "no v1= signature"),
            ("t=x,v1=00", "t is not unix seconds"),
            ("t=1,v1=zz", "v1 is not hexadecimal"),
            ("t=1,t=2,v1=00", "t given twice"),
        ] {
            assert_eq!(
                SignatureHeader::parse(header),
                Err(SignatureError::Malformed(what)),
                "{header}"
            );
        }
        assert_eq!(
            verify(&secret(), None, b"", at(0), Duration::seconds(1)),
            Err(SignatureError::Missing)
        );
    }
}
