//! One delivery attempt: a signed POST with the Standard Webhooks headers, and what
//! came of it.

use std::error::Error as _;
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::header::{HeaderValue, CONTENT_TYPE, USER_AGENT};
use reqwest::redirect::Policy;

use super::metrics::Outcome;
use super::ssrf::{self, GuardedResolver, Refused};

/// The HTTP client of the deliverers: no redirects (a redirect could lead to an
/// internal address), no proxy (a proxy would resolve names unchecked), and, unless
/// private targets are allowed, a resolver that refuses non-public addresses.
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    timeout: Duration,
    allow_private: bool,
}

/// What came of one attempt.
#[derive(Debug)]
pub struct Answer {
    pub outcome: Outcome,
    pub status: Option<u16>,
    pub error: Option<String>,
    pub duration: Duration,
}

/// The headers of one delivery.
pub struct Signed<'a> {
    pub id: &'a str,
    pub timestamp: i64,
    pub signature: &'a str,
    pub body: Vec<u8>,
}

impl Client {
    pub fn new(timeout: Duration, allow_private: bool) -> anyhow::Result<Self> {
        let mut builder = reqwest::Client::builder()
            .redirect(Policy::none())
            .no_proxy()
            .connect_timeout(timeout)
            .pool_idle_timeout(Duration::from_secs(30));
        if !allow_private {
            builder = builder.dns_resolver(Arc::new(GuardedResolver));
        }
        Ok(Client {
            http: builder.build()?,
            timeout,
            allow_private,
        })
    }

    /// POSTs `signed` to `url`; never fails, the failure is in the answer.
    pub async fn post(&self, url: &str, signed: Signed<'_>) -> Answer {
        let started = Instant::now();
        let answer = |outcome, status, error: Option<String>| Answer {
            outcome,
            status,
            error,
            duration: started.elapsed(),
        };
        let url = match ssrf::parse_url("url", url) {
            Ok(url) => url,
            Err(_) => {
                return answer(
                    Outcome::Unreachable,
                    None,
                    Some("the URL is not an http(s) URL".into()),
                )
            }
        };
        if !self.allow_private {
            if let Err(refused) = ssrf::check_literal(&url) {
                return answer(Outcome::Blocked, None, Some(refused.to_string()));
            }
        }
        let sent = self
            .http
            .post(url)
            .timeout(self.timeout)
            .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
            .header(USER_AGENT, HeaderValue::from_static("Premiere-Webhooks/1"))
            .header("webhook-id", signed.id)
            .header("webhook-timestamp", signed.timestamp.to_string())
            .header("webhook-signature", signed.signature)
            .body(signed.body)
            .send()
            .await;
        match sent {
            Ok(response) => {
                let status = response.status().as_u16();
                drop(response);
                match status {
                    200..=299 => answer(Outcome::Ok, Some(status), None),
                    410 => answer(Outcome::Gone, Some(status), Some("410 Gone".into())),
                    _ => answer(
                        Outcome::HttpError,
                        Some(status),
                        Some(format!("the endpoint answered {status}")),
                    ),
                }
            }
            Err(err) => {
                let (outcome, error) = describe(&err, self.timeout);
                answer(outcome, None, Some(error))
            }
        }
    }
}

/// Classifies a failed request, with a short message naming its cause.
fn describe(err: &reqwest::Error, timeout: Duration) -> (Outcome, String) {
    let mut source = err.source();
    let mut innermost: Option<String> = None;
    while let Some(cause) = source {
        if let Some(refused) = cause.downcast_ref::<Refused>() {
            return (Outcome::Blocked, refused.to_string());
        }
        innermost = Some(cause.to_string());
        source = cause.source();
    }
    if err.is_timeout() {
        return (
            Outcome::Timeout,
            format!("no answer within {} ms", timeout.as_millis()),
        );
    }
    let cause = innermost.unwrap_or_else(|| err.to_string());
    if err.is_connect() {
        (Outcome::Unreachable, format!("could not connect: {cause}"))
    } else {
        (Outcome::Unreachable, format!("request failed: {cause}"))
    }
}
