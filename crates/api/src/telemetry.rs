//! Request ids and request logging.
//!
//! Policy:
//!
//! - Every request has an id in `x-request-id`: the client's, when it sent a sensible one
//!   (1 to 128 characters of `A-Z a-z 0-9 - _ . :`), otherwise a fresh UUID v4 written as 32
//!   hex digits. The id is echoed on the response, recorded on the request's log span, and is
//!   the `trackingId` / `errorId` / `requestId` of every error body.
//! - One span per request records the method, the path **without its query string**, and
//!   the request id; one event at its end records status and latency. Query strings, headers
//!   and bodies are never logged: `/oauth/token` accepts client secrets in its query and body,
//!   and bearer tokens travel in headers.

use std::time::Duration;

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue};
use axum::response::Response;
use axum::Router;
use tower::ServiceBuilder;
use tower_http::request_id::{
    MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::trace::TraceLayer;
use tracing::Span;

/// The header that carries the request id, in both directions.
pub const REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// Longest client-supplied request id that is kept.
const MAX_CLIENT_REQUEST_ID: usize = 128;

/// Makes request ids: a random UUID v4 as 32 lower-case hex digits (SailPoint's `trackingId`
/// format).
#[derive(Debug, Clone, Copy, Default)]
pub struct MakeHexUuid;

impl MakeRequestId for MakeHexUuid {
    fn make_request_id<B>(&mut self, _request: &Request<B>) -> Option<RequestId> {
        let id = uuid::Uuid::new_v4().simple().to_string();
        HeaderValue::from_str(&id).ok().map(RequestId::new)
    }
}

/// The id of a request that has passed the request-id layer ("" before it, which only
/// happens when a router is used without [`with_request_telemetry`]).
pub fn request_id_of<B>(request: &Request<B>) -> String {
    request
        .extensions()
        .get::<RequestId>()
        .map(RequestId::header_value)
        .or_else(|| request.headers().get(&REQUEST_ID_HEADER))
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// Wraps `router` in the request-id and tracing layers (outermost first: drop a
/// malformed client id, set the id, open the span, copy the id onto the response).
pub fn with_request_telemetry(router: Router) -> Router {
    router.layer(
        ServiceBuilder::new()
            .map_request(drop_unusable_request_id)
            .layer(SetRequestIdLayer::new(REQUEST_ID_HEADER, MakeHexUuid))
            .layer(
                TraceLayer::new_for_http()
                    .make_span_with(make_request_span)
                    .on_request(())
                    .on_response(log_response)
                    .on_failure(()),
            )
            .layer(PropagateRequestIdLayer::new(REQUEST_ID_HEADER)),
    )
}

/// Removes a client-supplied request id that is too long or holds characters that do not
/// belong in logs, so that a fresh one is generated instead.
fn drop_unusable_request_id(mut request: Request) -> Request {
    let usable = request
        .headers()
        .get(&REQUEST_ID_HEADER)
        .map(|value| is_usable_request_id(value.as_bytes()));
    if usable == Some(false) {
        request.headers_mut().remove(&REQUEST_ID_HEADER);
    }
    request
}

fn is_usable_request_id(id: &[u8]) -> bool {
    !id.is_empty()
        && id.len() <= MAX_CLIENT_REQUEST_ID
        && id
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

/// The span of one request: method, path (never the query string) and request id.
fn make_request_span(request: &Request<Body>) -> Span {
    let request_id = request_id_of(request);
    tracing::info_span!(
        "request",
        method = %request.method(),
        path = %request.uri().path(),
        request_id = %request_id,
    )
}

/// The one event per request: its status and how long it took.
fn log_response(response: &Response, latency: Duration, _span: &Span) {
    tracing::info!(
        status = response.status().as_u16(),
        latency_ms = latency.as_secs_f64() * 1000.0,
        "request finished"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_are_32_hex_digits() {
        let request = Request::new(());
        let id = MakeHexUuid.make_request_id(&request).unwrap();
        let text = id.header_value().to_str().unwrap();
        assert_eq!(text.len(), 32);
        assert!(text.bytes().all(|b| b.is_ascii_hexdigit()));
    }

    #[test]
    fn only_sensible_client_ids_are_kept() {
        assert!(is_usable_request_id(b"b21b1f7ce4da4d639f2c62a57171b427"));
        assert!(is_usable_request_id(b"req-42_a.b:c"));
        assert!(!is_usable_request_id(b""));
        assert!(!is_usable_request_id(b"has space"));
        assert!(!is_usable_request_id(b"quote\"d"));
        assert!(!is_usable_request_id(&[b'a'; 129]));
    }
}
