//! Ids derived from what a request carries, so a retry finds what its first attempt made.

use sha2::{Digest, Sha256};
use ulid::Ulid;

/// A ULID of the first 128 bits of SHA-256 over `parts`, concatenated as given (callers put
/// their own separators and domain prefixes in). Deterministic; not time-ordered; not
/// guessable without the parts.
pub fn derived_ulid(parts: &[&[u8]]) -> Ulid {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part);
    }
    let digest = hasher.finalize();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    Ulid::from(u128::from_be_bytes(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_ids_are_the_first_128_bits_of_the_digest() {
        // SHA-256("abc") = ba7816bf 8f01cfea 414140de 5dae2223 …
        let id = derived_ulid(&[b"a", b"bc"]);
        assert_eq!(id.0, 0xba78_16bf_8f01_cfea_4141_40de_5dae_2223);
        assert_eq!(derived_ulid(&[b"abc"]), id);
        assert_ne!(derived_ulid(&[b"abd"]), id);
    }
}
