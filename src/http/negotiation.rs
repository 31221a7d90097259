//! Content negotiation for GraphQL over HTTP: the media type of the answer, by the
//! request's `Accept` (`application/graphql-response+json` or `application/json`,
//! default `application/json` when it is absent or `*/*`; `406` when it lists
//! neither), and the media type of a POST body (`application/json` in utf-8, else
//! `415`).

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};

use super::refusal::Refusal;

const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json; charset=utf-8";
const JSON: &str = "application/json; charset=utf-8";

/// The media type of the answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaType {
    /// `application/json`: the legacy type; GraphQL errors are answered with 200.
    Json,
    /// `application/graphql-response+json`: request errors are answered with 400.
    GraphQLResponse,
}

impl MediaType {
    pub(super) fn content_type(self) -> HeaderValue {
        HeaderValue::from_static(match self {
            MediaType::Json => JSON,
            MediaType::GraphQLResponse => GRAPHQL_RESPONSE_JSON,
        })
    }
}

/// One media range of an `Accept` header: its essence, its quality (`q`: 1 when
/// absent, 0 when unreadable) and its other parameters.
pub struct MediaRange<'a> {
    pub essence: &'a str,
    pub quality: f32,
    params: &'a str,
}

impl<'a> MediaRange<'a> {
    /// The value of the parameter `name` (case-insensitive), unquoted.
    pub fn param(&self, name: &str) -> Option<&'a str> {
        self.params.split(';').find_map(|param| {
            let (key, value) = param.split_once('=')?;
            key.trim()
                .eq_ignore_ascii_case(name)
                .then(|| value.trim().trim_matches('"'))
        })
    }
}

/// The media ranges of every `Accept` header of a request, in order.
pub fn accept_ranges(headers: &HeaderMap) -> impl Iterator<Item = MediaRange<'_>> {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|range| {
            let (essence, params) = range.split_once(';').unwrap_or((range, ""));
            let mut media = MediaRange {
                essence: essence.trim(),
                quality: 1.0,
                params,
            };
            if let Some(q) = media.param("q") {
                media.quality = q
                    .parse()
                    .ok()
                    .filter(|q: &f32| q.is_finite())
                    .unwrap_or(0.0);
            }
            media
        })
}

/// Picks the answer's media type from `Accept`: the supported type with the highest
/// quality, the more specific on a tie, and `application/graphql-response+json` on a
/// full tie. Absent, unreadable or `*/*`: `application/json`.
pub fn negotiate(headers: &HeaderMap) -> Result<MediaType, Refusal> {
    let mut listed = false;
    let mut best: Option<(f32, u8, MediaType)> = None;
    for MediaRange {
        essence, quality, ..
    } in accept_ranges(headers)
    {
        if essence.is_empty() {
            continue;
        }
        listed = true;
        let (specificity, media) =
            if essence.eq_ignore_ascii_case("application/graphql-response+json") {
                (2, MediaType::GraphQLResponse)
            } else if essence.eq_ignore_ascii_case("application/json") {
                (2, MediaType::Json)
            } else if essence == "*/*" || essence.eq_ignore_ascii_case("application/*") {
                (1, MediaType::Json)
            } else {
                continue;
            };
        if quality <= 0.0 {
            continue;
        }
        let better = match best {
            None => true,
            Some((q, s, m)) => {
                quality > q
                    || (quality == q && specificity > s)
                    || (quality == q
                        && specificity == s
                        && media == MediaType::GraphQLResponse
                        && m == MediaType::Json)
            }
        };
        if better {
            best = Some((quality, specificity, media));
        }
    }
    match best {
        Some((_, _, media)) => Ok(media),
        None if !listed => Ok(MediaType::Json),
        None => Err(Refusal::new(
            StatusCode::NOT_ACCEPTABLE,
            "Accept lists no supported media type; use application/graphql-response+json \
             or application/json",
        )),
    }
}

/// Checks that a POST body is `application/json` (charset utf-8, if given).
pub(super) fn check_content_type(headers: &HeaderMap) -> Result<(), Refusal> {
    let unsupported = || {
        Refusal::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "send the request as Content-Type: application/json",
        )
    };
    let value = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(unsupported)?;
    let mut parts = value.split(';');
    if !parts
        .next()
        .unwrap_or_default()
        .trim()
        .eq_ignore_ascii_case("application/json")
    {
        return Err(unsupported());
    }
    for param in parts {
        if let Some((key, charset)) = param.split_once('=') {
            let charset = charset.trim().trim_matches('"');
            if key.trim().eq_ignore_ascii_case("charset")
                && !charset.eq_ignore_ascii_case("utf-8")
                && !charset.eq_ignore_ascii_case("utf8")
            {
                return Err(Refusal::new(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "the request body must be encoded in utf-8",
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(value: &str) -> Result<MediaType, StatusCode> {
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT, HeaderValue::from_str(value).unwrap());
        negotiate(&headers).map_err(|r| r.status)
    }

    #[test]
    fn negotiation_picks_the_preferred_supported_type() {
        use MediaType::{GraphQLResponse as G, Json as J};
        assert_eq!(negotiate(&HeaderMap::new()).unwrap(), J);
        assert_eq!(accept("*/*"), Ok(J));
        assert_eq!(accept("application/*"), Ok(J));
        assert_eq!(accept("application/json"), Ok(J));
        assert_eq!(accept("application/graphql-response+json"), Ok(G));
        assert_eq!(
            accept("application/graphql-response+json, application/json;q=0.9"),
            Ok(G)
        );
        assert_eq!(
            accept("application/json, application/graphql-response+json"),
            Ok(G)
        );
        assert_eq!(
            accept("application/json;q=1, application/graphql-response+json;q=0.5"),
            Ok(J)
        );
        assert_eq!(accept("text/html, */*;q=0.1"), Ok(J));
        assert_eq!(accept("APPLICATION/JSON; charset=utf-8"), Ok(J));
        assert_eq!(
            accept("application/json;q=0, */*;q=0"),
            Err(StatusCode::NOT_ACCEPTABLE)
        );
        assert_eq!(accept("text/html"), Err(StatusCode::NOT_ACCEPTABLE));
        assert_eq!(
            accept("application/json;q=nan"),
            Err(StatusCode::NOT_ACCEPTABLE)
        );
        assert_eq!(accept(" , "), Ok(J));
    }

    #[test]
    fn content_type_must_be_json_in_utf8() {
        let check = |value: Option<&str>| {
            let mut headers = HeaderMap::new();
            if let Some(value) = value {
                headers.insert(header::CONTENT_TYPE, HeaderValue::from_str(value).unwrap());
            }
            check_content_type(&headers).map_err(|r| r.status)
        };
        assert_eq!(check(Some("application/json")), Ok(()));
        assert_eq!(check(Some("Application/JSON ; charset=\"UTF-8\"")), Ok(()));
        let unsupported = Err(StatusCode::UNSUPPORTED_MEDIA_TYPE);
        assert_eq!(check(None), unsupported);
        assert_eq!(check(Some("text/plain")), unsupported);
        assert_eq!(check(Some("application/json; charset=utf-16")), unsupported);
        assert_eq!(check(Some("application/jsonx")), unsupported);
    }
}
