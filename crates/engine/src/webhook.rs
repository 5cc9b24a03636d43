//! Signed webhooks: how Attest signs a POST, sends it once, classifies what came back, and
//! when it tries again.
//!
//! Policy:
//! - This module owns the wire contract every Attest webhook shares (event triggers and
//!   remediation sinks alike): the body is signed with HMAC-SHA256 over `"{timestamp}.{body}"`
//!   using the subscription's (or sink's) secret, and the request carries
//!   `Attest-Signature: t=<unix seconds>,v1=<hex>`, an `Idempotency-Key` that stays the same on
//!   every attempt of one delivery, and `Content-Type`.
//! - It never stores anything and never decides what to deliver: callers keep delivery state in
//!   the database, call [`Sender::deliver`] once per attempt, and ask [`RetryPolicy`] when to try
//!   again. The retry schedule is a pure function of the attempt number (and of a jitter that is
//!   itself derived from the delivery's key), so it is tested without a clock or a network.
//! - The signature's timestamp comes from the injected [`Clock`], never from the wall clock.
//! - Secrets and response bodies are never logged; failure reasons name the status or the kind
//!   of transport error, never the secret, and transport errors are reported without their URL
//!   (which could carry a token in its query).
//! - Redirects are not followed (a 3xx is a permanent failure): a receiver's address is the one
//!   its owner registered, and following redirects would let a receiver point Attest elsewhere.
//!
//! # Verifying a delivery (receiver side)
//!
//! 1. Read the raw request body as bytes, before any JSON parsing.
//! 2. Split `Attest-Signature` on `,`; take `t` (unix seconds) and every `v1` value.
//! 3. Reject the request when `|now - t|` exceeds a tolerance ([`DEFAULT_TOLERANCE_SECONDS`],
//!    five minutes, is what [`verify`] uses): this bounds replays of a captured request.
//! 4. Compute `hex(HMAC-SHA256(secret, "{t}.{body}"))` and compare it with a `v1` value in
//!    constant time. Accept when one matches.
//! 5. Use `Idempotency-Key` to drop a delivery you have already processed: a delivery whose
//!    answer was lost is sent again with the same key.
//!
//! [`verify`] is that recipe in Rust; `docs/event-triggers.md` has it in other languages.

use std::sync::Arc;
use std::time::Duration as StdDuration;

use attest_domain::Clock;
use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

/// The header that carries the timestamp and signature: `t=<unix seconds>,v1=<hex>`.
pub const SIGNATURE_HEADER: &str = "Attest-Signature";

/// The header that names one delivery; the same on every attempt of that delivery.
pub const IDEMPOTENCY_HEADER: &str = "Idempotency-Key";

/// The content type of every JSON webhook body.
pub const JSON_CONTENT_TYPE: &str = "application/json";

/// How far a signature's timestamp may be from the receiver's clock, in seconds, in [`verify`].
pub const DEFAULT_TOLERANCE_SECONDS: i64 = 300;

/// How long one attempt may take, from connecting to the response's status line.
pub const DEFAULT_TIMEOUT: StdDuration = StdDuration::from_secs(10);

/// The longest wait a receiver's `Retry-After` can impose; a longer one is cut to this.
pub const MAX_RETRY_AFTER_SECONDS: i64 = 3600;

type HmacSha256 = Hmac<Sha256>;

/// `hex(HMAC-SHA256(secret, "{timestamp}.{body}"))`: the `v1` signature of a body sent at
/// `timestamp` (unix seconds).
pub fn sign(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    let mut mac = keyed(secret);
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

/// The value of [`SIGNATURE_HEADER`] for a body sent at `timestamp`: `t=<timestamp>,v1=<hex>`.
pub fn signature_header(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    format!("t={timestamp},v1={}", sign(secret, timestamp, body))
}

fn keyed(secret: &[u8]) -> HmacSha256 {
    // HMAC takes a key of any length (longer keys are hashed first), so this cannot fail.
    HmacSha256::new_from_slice(secret).expect("HMAC accepts keys of any length")
}

/// Why [`verify`] refused a signature.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// The header is not `t=<unix seconds>,v1=<hex>[,v1=<hex>...]`.
    #[error("the signature header is malformed")]
    Malformed,
    /// The timestamp is further from now than the tolerance.
    #[error("the signature's timestamp is outside the tolerance")]
    Expired,
    /// No `v1` signature matches the body and secret.
    #[error("no signature matches the body")]
    Mismatch,
}

/// Checks a received [`SIGNATURE_HEADER`] against the raw body, the shared secret and the
/// receiver's time: the verification recipe in the module documentation. Comparison is in
/// constant time.
pub fn verify(
    secret: &[u8],
    header: &str,
    body: &[u8],
    now: DateTime<Utc>,
    tolerance: Duration,
) -> Result<(), VerifyError> {
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", t)) => {
                timestamp = Some(t.parse::<i64>().map_err(|_| VerifyError::Malformed)?)
            }
            Some(("v1", v)) => signatures.push(hex::decode(v).map_err(|_| VerifyError::Malformed)?),
            Some(_) => {} // other schemes may be added later; ignored
            None => return Err(VerifyError::Malformed),
        }
    }
    let timestamp = timestamp.ok_or(VerifyError::Malformed)?;
    if signatures.is_empty() {
        return Err(VerifyError::Malformed);
    }
    if (now.timestamp() - timestamp).abs() > tolerance.num_seconds() {
        return Err(VerifyError::Expired);
    }
    let matches = signatures.iter().any(|sig| {
        let mut mac = keyed(secret);
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        mac.verify_slice(sig).is_ok()
    });
    if matches {
        Ok(())
    } else {
        Err(VerifyError::Mismatch)
    }
}

/// One webhook request to send: where, what, and how to sign it.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// The receiver's `http` or `https` URL.
    pub url: &'a str,
    /// The body, sent exactly as given and signed byte for byte.
    pub body: &'a [u8],
    /// The body's content type (usually [`JSON_CONTENT_TYPE`]).
    pub content_type: &'a str,
    /// The subscription's or sink's signing secret.
    pub secret: &'a [u8],
    /// The delivery's key: the same on every attempt, so the receiver can drop repeats.
    pub idempotency_key: &'a str,
    /// Further headers (e.g. the trigger id); never secrets.
    pub headers: &'a [(&'a str, &'a str)],
}

/// What one attempt came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The receiver answered 2xx.
    Delivered {
        /// The HTTP status the receiver answered.
        status: u16,
    },
    /// Worth another attempt: connection errors, timeouts, 408, 429 and 5xx.
    Retryable {
        /// Why, in English, without secrets (e.g. `HTTP 503 Service Unavailable`).
        reason: String,
        /// The HTTP status, when the receiver answered.
        status: Option<u16>,
        /// How long the receiver asked to wait (`Retry-After` on a 429 or 503), capped at
        /// [`MAX_RETRY_AFTER_SECONDS`].
        retry_after: Option<Duration>,
    },
    /// Trying again will not help: any other status (4xx other than 408 and 429, 3xx), or a
    /// request that cannot be built (a malformed URL, a header value that is not allowed).
    Permanent {
        /// Why, in English, without secrets.
        reason: String,
        /// The HTTP status, when the receiver answered.
        status: Option<u16>,
    },
}

impl Outcome {
    /// The HTTP status the receiver answered, if it answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            Outcome::Delivered { status } => Some(*status),
            Outcome::Retryable { status, .. } | Outcome::Permanent { status, .. } => *status,
        }
    }
}

/// Why a [`Sender`] could not be built.
#[derive(Debug, thiserror::Error)]
#[error("could not build the webhook HTTP client: {0}")]
pub struct SenderError(String);

/// Sends signed webhook requests, one attempt per call; cheap to clone (one connection pool).
#[derive(Debug, Clone)]
pub struct Sender {
    client: reqwest::Client,
    clock: Arc<dyn Clock>,
    timeout: StdDuration,
}

impl Sender {
    /// A sender whose attempts each time out after `timeout` and whose signatures are dated by
    /// `clock`. Redirects are not followed; TLS uses rustls with the system's trust store.
    pub fn new(clock: Arc<dyn Clock>, timeout: StdDuration) -> Result<Self, SenderError> {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(timeout)
            .timeout(timeout)
            .user_agent(concat!("Attest-Webhooks/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| SenderError(e.to_string()))?;
        Ok(Self {
            client,
            clock,
            timeout,
        })
    }

    /// Sends `request` once, signed with the clock's current time, and classifies the answer.
    /// The response body is read and discarded (so the connection can be reused), never kept.
    pub async fn deliver(&self, request: &Request<'_>) -> Outcome {
        let now = self.clock.now();
        let signature = signature_header(request.secret, now.timestamp(), request.body);
        let mut builder = self
            .client
            .post(request.url)
            .header(reqwest::header::CONTENT_TYPE, request.content_type)
            .header(SIGNATURE_HEADER, signature)
            .header(IDEMPOTENCY_HEADER, request.idempotency_key)
            .body(request.body.to_vec());
        for (name, value) in request.headers {
            builder = builder.header(*name, *value);
        }
        let response = match builder.send().await {
            Ok(response) => response,
            Err(e) => return self.transport_failure(e),
        };
        let status = response.status();
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| parse_retry_after(v, now));
        // Drain a little of the body so the connection goes back to the pool; ignore errors.
        let _ = tokio::time::timeout(self.timeout, response.bytes()).await;
        classify(status.as_u16(), status.canonical_reason(), retry_after)
    }

    fn transport_failure(&self, e: reqwest::Error) -> Outcome {
        let e = e.without_url();
        if e.is_builder() {
            return Outcome::Permanent {
                reason: format!("the request could not be built: {}", chain(&e)),
                status: None,
            };
        }
        let reason = if e.is_timeout() {
            format!("timed out after {} s", self.timeout.as_secs_f64())
        } else if e.is_connect() {
            format!("connection failed: {}", chain(&e))
        } else {
            format!("request failed: {}", chain(&e))
        };
        Outcome::Retryable {
            reason,
            status: None,
            retry_after: None,
        }
    }
}

/// An error and its sources, joined with `: ` (reqwest's own message is often just
/// "error sending request").
fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}

/// Classifies a receiver's answer: 2xx delivered; 408, 429 and 5xx retryable; anything else
/// permanent. `retry_after` is kept only where it means something (429 and 5xx).
pub fn classify(
    status: u16,
    reason_phrase: Option<&str>,
    retry_after: Option<Duration>,
) -> Outcome {
    let reason = match reason_phrase {
        Some(phrase) => format!("HTTP {status} {phrase}"),
        None => format!("HTTP {status}"),
    };
    match status {
        200..=299 => Outcome::Delivered { status },
        408 => Outcome::Retryable {
            reason,
            status: Some(status),
            retry_after: None,
        },
        429 | 500..=599 => Outcome::Retryable {
            reason,
            status: Some(status),
            retry_after,
        },
        300..=399 => Outcome::Permanent {
            reason: format!("{reason} (redirects are not followed)"),
            status: Some(status),
        },
        _ => Outcome::Permanent {
            reason,
            status: Some(status),
        },
    }
}

/// Reads `Retry-After` (delay-seconds or an HTTP date, RFC 9110 §10.2.3) relative to `now`,
/// capped at [`MAX_RETRY_AFTER_SECONDS`]. A date in the past means "now" (zero).
pub fn parse_retry_after(value: &str, now: DateTime<Utc>) -> Option<Duration> {
    let value = value.trim();
    let seconds = if let Ok(seconds) = value.parse::<i64>() {
        seconds.max(0)
    } else {
        let at = DateTime::parse_from_rfc2822(value).ok()?;
        (at.with_timezone(&Utc) - now).num_seconds().max(0)
    };
    Some(Duration::seconds(seconds.min(MAX_RETRY_AFTER_SECONDS)))
}

/// When to try a delivery again: exponential backoff with jitter, capped, and a maximum
/// number of attempts. Every method is a pure function of its arguments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// The delay after the first failed attempt, before jitter.
    pub base: Duration,
    /// The longest delay between two attempts, before jitter.
    pub cap: Duration,
    /// How many attempts a delivery gets in all (the first one included).
    pub max_attempts: u32,
}

impl Default for RetryPolicy {
    /// 30 s, doubling, at most 1 h apart, 8 attempts: seven waits of 30 s to 32 min, about
    /// 64 min from the first attempt to the last before jitter (with jitter, 32 to 64 min).
    fn default() -> Self {
        Self {
            base: Duration::seconds(30),
            cap: Duration::hours(1),
            max_attempts: 8,
        }
    }
}

impl RetryPolicy {
    /// Whether a delivery that has failed `attempts` times may be tried again.
    pub fn allows_another(&self, attempts: u32) -> bool {
        attempts < self.max_attempts
    }

    /// The delay before attempt `attempts + 1`, after `attempts` (≥ 1) failed attempts, without
    /// jitter: `base · 2^(attempts-1)`, at most `cap`.
    pub fn backoff(&self, attempts: u32) -> Duration {
        let exponent = attempts.saturating_sub(1).min(30);
        let millis = self
            .base
            .num_milliseconds()
            .saturating_mul(1_i64 << exponent)
            .min(self.cap.num_milliseconds());
        Duration::milliseconds(millis)
    }

    /// [`backoff`](Self::backoff) with "equal jitter": between half and all of it, placed by
    /// `jitter` in `[0, 1)`. Keeping at least half preserves the backoff's growth while
    /// spreading retries of many deliveries that failed together.
    pub fn delay(&self, attempts: u32, jitter: f64) -> Duration {
        let full = self.backoff(attempts).num_milliseconds();
        let half = full / 2;
        let jitter = jitter.clamp(0.0, 1.0);
        Duration::milliseconds(half + ((full - half) as f64 * jitter) as i64)
    }

    /// When to try again after `attempts` failed attempts that ended at `now`, or `None` when
    /// the attempts are used up. A receiver's `Retry-After` is honoured when it asks for longer
    /// than the backoff. `key` (the delivery's idempotency key) fixes the jitter, so the answer
    /// is the same for the same inputs.
    pub fn next_attempt_at(
        &self,
        key: &str,
        attempts: u32,
        now: DateTime<Utc>,
        retry_after: Option<Duration>,
    ) -> Option<DateTime<Utc>> {
        if !self.allows_another(attempts) {
            return None;
        }
        let delay = self.delay(attempts, jitter_for(key, attempts));
        let wait = match retry_after {
            Some(asked) if asked > delay => asked,
            _ => delay,
        };
        Some(now + wait)
    }
}

/// A number in `[0, 1)` derived from `key` and `attempt`: the jitter of that attempt. Derived,
/// not random, so schedules are reproducible and testable; different deliveries still spread.
pub fn jitter_for(key: &str, attempt: u32) -> f64 {
    let digest = Sha256::new()
        .chain_update(key.as_bytes())
        .chain_update(attempt.to_be_bytes())
        .finalize();
    let mut first = [0_u8; 8];
    first.copy_from_slice(&digest[..8]);
    // 53 bits fill an f64's mantissa exactly.
    (u64::from_be_bytes(first) >> 11) as f64 / (1_u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use attest_domain::ManualClock;
    use chrono::TimeZone;
    use std::sync::Mutex;

    #[test]
    fn hmac_sha256_matches_rfc_4231_test_case_2() {
        let mut mac = keyed(b"Jefe");
        mac.update(b"what do ya want for nothing?");
        assert_eq!(
            hex::encode(mac.finalize().into_bytes()),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn signs_timestamp_dot_body() {
        // Computed independently: python3 -c "import hmac,hashlib;
        //   print(hmac.new(b'whsec_test', b'1700000000.{\"event\":\"ping\"}', hashlib.sha256).hexdigest())"
        let body = br#"{"event":"ping"}"#;
        assert_eq!(
            sign(b"whsec_test", 1_700_000_000, body),
            "aa8efe37b751e71157c508c5ac4acb1e9fe5225db98355dfc00f4b680afbc447"
        );
        assert_eq!(
            signature_header(b"whsec_test", 1_700_000_000, body),
            "t=1700000000,v1=aa8efe37b751e71157c508c5ac4acb1e9fe5225db98355dfc00f4b680afbc447"
        );
    }

    #[test]
    fn verify_accepts_fresh_and_refuses_stale_forged_or_malformed() {
        let body = br#"{"event":"ping"}"#;
        let at = Utc.timestamp_opt(1_700_000_000, 0).unwrap();
        let tolerance = Duration::seconds(DEFAULT_TOLERANCE_SECONDS);
        let header = signature_header(b"s3cret", at.timestamp(), body);
        assert_eq!(verify(b"s3cret", &header, body, at, tolerance), Ok(()));
        assert_eq!(
            verify(
                b"s3cret",
                &header,
                body,
                at + Duration::seconds(299),
                tolerance
            ),
            Ok(())
        );
        assert_eq!(
            verify(
                b"s3cret",
                &header,
                body,
                at + Duration::seconds(301),
                tolerance
            ),
            Err(VerifyError::Expired)
        );
        assert_eq!(
            verify(b"other", &header, body, at, tolerance),
            Err(VerifyError::Mismatch)
        );
        assert_eq!(
            verify(b"s3cret", &header, b"{\"event\":\"pong\"}", at, tolerance),
            Err(VerifyError::Mismatch)
        );
        // A rotated secret: any matching v1 is enough.
        let two = format!("{header},v1={}", sign(b"new", at.timestamp(), body));
        assert_eq!(verify(b"new", &two, body, at, tolerance), Ok(()));
        for bad in [
            "",
            "v1=00",
            "t=1700000000",
            "t=x,v1=00",
            "t=1700000000,v1=zz",
            "garbage",
        ] {
            assert_eq!(
                verify(b"s3cret", bad, body, at, tolerance),
                Err(VerifyError::Malformed),
                "{bad}"
            );
        }
    }

    #[test]
    fn classifies_statuses() {
        assert_eq!(
            classify(204, None, None),
            Outcome::Delivered { status: 204 }
        );
        for status in [408, 429, 500, 502, 503, 504] {
            assert!(
                matches!(classify(status, None, None), Outcome::Retryable { .. }),
                "{status}"
            );
        }
        for status in [301, 400, 401, 403, 404, 410, 422] {
            assert!(
                matches!(classify(status, None, None), Outcome::Permanent { .. }),
                "{status}"
            );
        }
        let wait = Some(Duration::seconds(7));
        assert_eq!(
            classify(429, Some("Too Many Requests"), wait),
            Outcome::Retryable {
                reason: "HTTP 429 Too Many Requests".into(),
                status: Some(429),
                retry_after: wait
            }
        );
    }

    #[test]
    fn reads_retry_after_in_seconds_or_as_a_date() {
        let now = Utc.with_ymd_and_hms(2015, 10, 21, 7, 28, 0).unwrap();
        assert_eq!(parse_retry_after("120", now), Some(Duration::seconds(120)));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:29:30 GMT", now),
            Some(Duration::seconds(90))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now),
            Some(Duration::zero())
        );
        assert_eq!(
            parse_retry_after("999999", now),
            Some(Duration::seconds(MAX_RETRY_AFTER_SECONDS))
        );
        assert_eq!(parse_retry_after("soon", now), None);
    }

    #[test]
    fn backoff_doubles_up_to_the_cap_and_jitter_keeps_at_least_half() {
        let policy = RetryPolicy::default();
        let secs: Vec<i64> = (1..=9).map(|a| policy.backoff(a).num_seconds()).collect();
        assert_eq!(secs, [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]);
        assert_eq!(policy.backoff(u32::MAX), Duration::hours(1));
        assert_eq!(policy.delay(3, 0.0), Duration::seconds(60));
        assert_eq!(policy.delay(3, 0.5), Duration::seconds(90));
        assert_eq!(policy.delay(3, 0.999_999).num_seconds(), 119);
        assert!(policy.allows_another(7));
        assert!(!policy.allows_another(8));
        for attempt in 0..100 {
            let j = jitter_for("delivery-1", attempt);
            assert!((0.0..1.0).contains(&j));
        }
        assert_eq!(jitter_for("a", 1), jitter_for("a", 1));
        assert_ne!(jitter_for("a", 1), jitter_for("b", 1));
    }

    #[test]
    fn next_attempt_honours_retry_after_and_stops_after_the_last_attempt() {
        let policy = RetryPolicy::default();
        let now = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let next = policy.next_attempt_at("k", 1, now, None).unwrap();
        assert!(next >= now + Duration::seconds(15) && next < now + Duration::seconds(30));
        let asked = Duration::seconds(600);
        assert_eq!(
            policy.next_attempt_at("k", 1, now, Some(asked)),
            Some(now + asked)
        );
        // A Retry-After shorter than the backoff does not hurry the retry.
        let short = policy
            .next_attempt_at("k", 1, now, Some(Duration::seconds(1)))
            .unwrap();
        assert_eq!(short, next);
        assert_eq!(policy.next_attempt_at("k", 8, now, None), None);
    }

    /// What the loopback receiver saw of one request.
    #[derive(Debug, Clone)]
    struct Seen {
        signature: String,
        idempotency_key: String,
        content_type: String,
        trigger: String,
        body: Vec<u8>,
    }

    /// Starts a receiver on loopback that answers each request with the next (status, headers)
    /// of `script` (the last one repeats) and records what it received.
    async fn receiver(
        script: Vec<(u16, Vec<(&'static str, &'static str)>)>,
    ) -> (String, Arc<Mutex<Vec<Seen>>>) {
        use axum::http::{HeaderMap, StatusCode};
        let seen = Arc::new(Mutex::new(Vec::<Seen>::new()));
        let log = seen.clone();
        let handler = move |headers: HeaderMap, body: axum::body::Bytes| {
            let log = log.clone();
            let script = script.clone();
            async move {
                let header = |name: &str| {
                    headers
                        .get(name)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default()
                        .to_owned()
                };
                let mut log = log.lock().unwrap();
                let (status, extra) = script[log.len().min(script.len() - 1)].clone();
                log.push(Seen {
                    signature: header(SIGNATURE_HEADER),
                    idempotency_key: header(IDEMPOTENCY_HEADER),
                    content_type: header("content-type"),
                    trigger: header("x-test-trigger"),
                    body: body.to_vec(),
                });
                let mut response = HeaderMap::new();
                for (k, v) in extra {
                    response.insert(k, v.parse().unwrap());
                }
                (StatusCode::from_u16(status).unwrap(), response, "ignored")
            }
        };
        let app = axum::Router::new().route("/hook", axum::routing::post(handler));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        (url, seen)
    }

    fn sender(clock: &ManualClock, timeout: StdDuration) -> Sender {
        Sender::new(Arc::new(clock.clone()), timeout).unwrap()
    }

    #[tokio::test]
    async fn delivers_a_signed_request_to_a_loopback_receiver() {
        let (url, seen) = receiver(vec![(204, vec![])]).await;
        let at = Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap();
        let clock = ManualClock::new(at);
        let body = br#"{"campaign":{"id":"c1"}}"#;
        let outcome = sender(&clock, DEFAULT_TIMEOUT)
            .deliver(&Request {
                url: &url,
                body,
                content_type: JSON_CONTENT_TYPE,
                secret: b"s3cret",
                idempotency_key: "delivery-1",
                headers: &[("X-Test-Trigger", "idn:campaign-activated")],
            })
            .await;
        assert_eq!(outcome, Outcome::Delivered { status: 204 });
        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), 1);
        let request = &seen[0];
        assert_eq!(request.body, body);
        assert_eq!(request.idempotency_key, "delivery-1");
        assert_eq!(request.content_type, JSON_CONTENT_TYPE);
        assert_eq!(request.trigger, "idn:campaign-activated");
        assert_eq!(
            request.signature,
            signature_header(b"s3cret", at.timestamp(), body)
        );
        assert_eq!(
            verify(
                b"s3cret",
                &request.signature,
                &request.body,
                at,
                Duration::seconds(300)
            ),
            Ok(())
        );
    }

    #[tokio::test]
    async fn classifies_what_a_loopback_receiver_answers() {
        let clock = ManualClock::new(Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap());
        let send = |url: String| {
            let sender = sender(&clock, DEFAULT_TIMEOUT);
            async move {
                sender
                    .deliver(&Request {
                        url: &url,
                        body: b"{}",
                        content_type: JSON_CONTENT_TYPE,
                        secret: b"k",
                        idempotency_key: "d",
                        headers: &[],
                    })
                    .await
            }
        };
        let (url, _) = receiver(vec![(429, vec![("retry-after", "42")])]).await;
        assert_eq!(
            send(url).await,
            Outcome::Retryable {
                reason: "HTTP 429 Too Many Requests".into(),
                status: Some(429),
                retry_after: Some(Duration::seconds(42)),
            }
        );
        let (url, _) = receiver(vec![(503, vec![])]).await;
        assert!(matches!(
            send(url).await,
            Outcome::Retryable {
                status: Some(503),
                ..
            }
        ));
        let (url, _) = receiver(vec![(408, vec![])]).await;
        assert!(matches!(
            send(url).await,
            Outcome::Retryable {
                status: Some(408),
                ..
            }
        ));
        let (url, _) = receiver(vec![(410, vec![])]).await;
        assert_eq!(
            send(url).await,
            Outcome::Permanent {
                reason: "HTTP 410 Gone".into(),
                status: Some(410)
            }
        );
        let (url, _) = receiver(vec![(302, vec![("location", "http://127.0.0.1:1/")])]).await;
        assert!(matches!(
            send(url).await,
            Outcome::Permanent {
                status: Some(302),
                ..
            }
        ));
        // Nobody listens on a port that was just released: a connection error, retryable.
        let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = closed.local_addr().unwrap().port();
        drop(closed);
        match send(format!("http://127.0.0.1:{port}/hook")).await {
            Outcome::Retryable {
                reason,
                status: None,
                ..
            } => {
                assert!(reason.starts_with("connection failed"), "{reason}")
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            send("not a url".into()).await,
            Outcome::Permanent { status: None, .. }
        ));
    }

    #[tokio::test]
    async fn a_receiver_that_does_not_answer_times_out_as_retryable() {
        // Accepts connections and never answers.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        let hold = tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((socket, _)) = listener.accept().await {
                held.push(socket);
            }
        });
        let clock = ManualClock::new(Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap());
        let outcome = sender(&clock, StdDuration::from_millis(300))
            .deliver(&Request {
                url: &url,
                body: b"{}",
                content_type: JSON_CONTENT_TYPE,
                secret: b"k",
                idempotency_key: "d",
                headers: &[],
            })
            .await;
        hold.abort();
        match outcome {
            Outcome::Retryable {
                reason,
                status: None,
                ..
            } => {
                assert!(reason.starts_with("timed out"), "{reason}")
            }
            other => panic!("{other:?}"),
        }
    }
}
