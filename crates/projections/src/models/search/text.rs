//! Keyword tokens: how names, tags and search keywords become index keys.

use super::MAX_NAME_TOKENS;

/// The indexed words of a name: lower-cased runs of letters and digits, at least two
/// characters (one is enough for non-ASCII scripts such as Hangul or Han), distinct, in order,
/// at most [`MAX_NAME_TOKENS`].
pub fn name_tokens(name: &str) -> Vec<String> {
    let mut tokens: Vec<String> = Vec::new();
    for word in name
        .to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        let long_enough = word.chars().count() >= 2 || !word.is_ascii();
        if long_enough && !tokens.iter().any(|t| t == word) {
            tokens.push(word.to_owned());
            if tokens.len() == MAX_NAME_TOKENS {
                break;
            }
        }
    }
    tokens
}

/// A search keyword as an index token: trimmed and lower-cased. It matches a name word or a
/// whole tag (`"rooftop bar"` matches that tag; a name matches word by word). `None` if empty.
pub fn normalize_keyword(keyword: &str) -> Option<String> {
    let k = keyword.trim().to_lowercase();
    (!k.is_empty()).then_some(k)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_split_into_distinct_lowercase_words() {
        assert_eq!(
            name_tokens("Sea-View Hotel & Sea Spa, a 5* place"),
            ["sea", "view", "hotel", "spa", "place"]
        );
        assert_eq!(name_tokens("빙수 카페 B"), ["빙수", "카페"]);
        assert_eq!(
            name_tokens("one two three four five six seven eight nine ten").len(),
            MAX_NAME_TOKENS
        );
    }

    #[test]
    fn keywords_are_trimmed_and_lowercased() {
        assert_eq!(
            normalize_keyword("  Rooftop Bar "),
            Some("rooftop bar".into())
        );
        assert_eq!(normalize_keyword("   "), None);
    }
}
