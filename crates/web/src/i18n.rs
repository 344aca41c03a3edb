//! The site's two languages, Korean and English: the words (`i18n/<lang>.json`, one flat map
//! of keys to phrases, `{name}` placeholders filled in by the scripts) and the choice of
//! language for a request ([`choose`]).

use std::collections::BTreeMap;
use std::sync::LazyLock;

use axum::http::{HeaderMap, header};

/// A language of the site.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    /// 한국어.
    Ko,
    /// English.
    En,
}

impl Lang {
    /// Every language, in the order the switch lists them.
    pub const ALL: [Lang; 2] = [Lang::Ko, Lang::En];

    /// The BCP 47 tag (`ko`, `en`).
    pub fn tag(self) -> &'static str {
        match self {
            Lang::Ko => "ko",
            Lang::En => "en",
        }
    }

    /// The language of a tag's primary subtag (`ko-KR` → Korean), if the site has it.
    pub fn parse(tag: &str) -> Option<Lang> {
        let primary = tag.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        match primary.as_str() {
            "ko" => Some(Lang::Ko),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The words of this language.
    pub fn words(self) -> &'static BTreeMap<String, String> {
        match self {
            Lang::Ko => &KO,
            Lang::En => &EN,
        }
    }

    /// The phrase of `key` (the key itself when missing, which a test forbids).
    pub fn t(self, key: &str) -> &str {
        self.words().get(key).map_or(key, String::as_str)
    }
}

fn load(text: &str) -> BTreeMap<String, String> {
    serde_json::from_str(text).expect("the embedded dictionary is a JSON object of strings")
}

static KO: LazyLock<BTreeMap<String, String>> =
    LazyLock::new(|| load(include_str!("../i18n/ko.json")));
static EN: LazyLock<BTreeMap<String, String>> =
    LazyLock::new(|| load(include_str!("../i18n/en.json")));

/// The cookie that keeps a visitor's choice.
pub const COOKIE: &str = "hf_lang";

/// The language of a request: `?lang=` when it names one, then the [`COOKIE`], then the best
/// of `Accept-Language` (by q-value; the first listed on a tie), else English.
pub fn choose(query: Option<&str>, headers: &HeaderMap) -> Lang {
    if let Some(lang) = query.and_then(Lang::parse) {
        return lang;
    }
    if let Some(lang) = cookie(headers).and_then(|v| Lang::parse(&v)) {
        return lang;
    }
    headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .and_then(from_accept_language)
        .unwrap_or(Lang::En)
}

fn cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.to_owned())
}

/// The site's language an `Accept-Language` header prefers most (q=0 excluded).
pub fn from_accept_language(header: &str) -> Option<Lang> {
    let mut best: Option<(f32, Lang)> = None;
    for item in header.split(',') {
        let mut parts = item.split(';');
        let Some(lang) = parts.next().and_then(Lang::parse) else {
            continue;
        };
        let q = parts
            .filter_map(|p| p.trim().strip_prefix("q="))
            .find_map(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        if q > 0.0 && best.is_none_or(|(b, _)| q > b) {
            best = Some((q, lang));
        }
    }
    best.map(|(_, lang)| lang)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn both_languages_have_every_phrase_and_the_same_placeholders() {
        let ko: Vec<&String> = KO.keys().collect();
        let en: Vec<&String> = EN.keys().collect();
        assert_eq!(ko, en, "the dictionaries' keys differ");
        let placeholders = |s: &str| {
            let mut names: Vec<String> = s
                .split('{')
                .skip(1)
                .filter_map(|p| p.split_once('}').map(|(n, _)| n.to_owned()))
                .collect();
            names.sort();
            names
        };
        for (key, phrase) in KO.iter() {
            assert!(!phrase.trim().is_empty(), "ko {key} is empty");
            assert_eq!(
                placeholders(phrase),
                placeholders(&EN[key]),
                "{key}: the placeholders differ"
            );
        }
    }

    #[test]
    fn the_query_beats_the_cookie_which_beats_the_header() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::ACCEPT_LANGUAGE,
            HeaderValue::from_static("ko-KR,ko;q=0.9,en;q=0.8"),
        );
        assert_eq!(choose(None, &headers), Lang::Ko);
        headers.insert(header::COOKIE, HeaderValue::from_static("a=b; hf_lang=en"));
        assert_eq!(choose(None, &headers), Lang::En);
        assert_eq!(choose(Some("ko"), &headers), Lang::Ko);
        // An unknown choice falls through to the next source.
        assert_eq!(choose(Some("fr"), &headers), Lang::En);
    }

    #[test]
    fn accept_language_is_read_by_quality() {
        assert_eq!(from_accept_language("en;q=0.5, ko;q=0.8"), Some(Lang::Ko));
        assert_eq!(from_accept_language("fr, en-GB;q=0.3"), Some(Lang::En));
        assert_eq!(from_accept_language("ko;q=0, en;q=0.1"), Some(Lang::En));
        assert_eq!(from_accept_language("fr, de"), None);
        assert_eq!(choose(None, &HeaderMap::new()), Lang::En);
    }
}
