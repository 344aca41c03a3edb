//! Which media type `/graphql` answers in: the highest-priority type of `Accept` it supports
//! (the rules are in the [module docs](super)).

use std::cmp::Reverse;

use axum::http::{HeaderMap, HeaderValue, header};

/// The media types `/graphql` answers in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MediaType {
    /// `application/json`: what legacy clients understand; for request errors its status is
    /// 200 (the body says what went wrong).
    Json,
    /// `application/graphql-response+json`: the spec's own; its status tells request errors
    /// (4xx) from executed operations (200).
    GraphqlResponse,
}

impl MediaType {
    /// Every type, in the server's order of preference (for `*/*` and ties).
    const PREFERENCE: [MediaType; 2] = [MediaType::Json, MediaType::GraphqlResponse];

    fn essence(self) -> &'static str {
        match self {
            MediaType::Json => "application/json",
            MediaType::GraphqlResponse => "application/graphql-response+json",
        }
    }

    pub(super) fn content_type(self) -> HeaderValue {
        HeaderValue::from_static(match self {
            MediaType::Json => "application/json; charset=utf-8",
            MediaType::GraphqlResponse => "application/graphql-response+json; charset=utf-8",
        })
    }
}

/// The media type to answer in, from the `Accept` header(s) (RFC 9110 §12.5.1), or `None`
/// when the client accepts neither (406). Each type gets the q-value of the most specific
/// range that covers it (`type/subtype` over `type/*` over `*/*`; q=0: not acceptable); the
/// highest q wins; on a tie, a type the client names outright beats one a wildcard covers, then
/// the one it lists first, then `application/json`. No `Accept` (or none that parses): JSON.
pub fn negotiate(headers: &HeaderMap) -> Option<MediaType> {
    let ranges: Vec<(String, u16)> = headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .filter_map(media_range)
        .collect();
    if ranges.is_empty() {
        return Some(MediaType::Json);
    }
    MediaType::PREFERENCE
        .into_iter()
        .enumerate()
        .filter_map(|(preference, media)| {
            let (specificity, position, q) = ranges
                .iter()
                .enumerate()
                .filter_map(|(position, (range, q))| {
                    covers(range, media).map(|s| (s, position, *q))
                })
                .max_by_key(|&(specificity, position, _)| (specificity, Reverse(position)))?;
            (q > 0).then_some((
                media,
                (q, specificity, Reverse(position), Reverse(preference)),
            ))
        })
        .max_by_key(|&(_, rank)| rank)
        .map(|(media, _)| media)
}

/// One element of `Accept`: its range, lowercased, and its q-value in thousandths (1000 when
/// absent); `None` if it is not `type/subtype` or its q-value is not one.
fn media_range(text: &str) -> Option<(String, u16)> {
    let mut parts = text.split(';');
    let range = parts.next()?.trim().to_ascii_lowercase();
    if !range.contains('/') {
        return None;
    }
    let mut q = 1000;
    for parameter in parts {
        if let Some((name, value)) = parameter.split_once('=')
            && name.trim().eq_ignore_ascii_case("q")
        {
            let value: f32 = value.trim().parse().ok()?;
            q = (0.0..=1.0)
                .contains(&value)
                .then(|| (value * 1000.0).round() as u16)?;
        }
    }
    Some((range, q))
}

/// How specifically `range` covers `media`: 2 by name, 1 as `type/*`, 0 as `*/*`.
fn covers(range: &str, media: MediaType) -> Option<u8> {
    let essence = media.essence();
    let (kind, _) = essence.split_once('/')?;
    match range.split_once('/')? {
        _ if range == essence => Some(2),
        (k, "*") if k == kind => Some(1),
        ("*", "*") => Some(0),
        _ => None,
    }
}
