//! A small HTTP/1.1 client for Attest's SailPoint-compatible API, on hyper-util's pooled
//! ("legacy") client: one keep-alive connection per concurrent caller, bearer token, JSON in
//! and out, and the wall time of every exchange (request sent to last body byte read).

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::header::{HeaderValue, AUTHORIZATION, CONTENT_TYPE};
use hyper::{Method, Request, StatusCode};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;

/// A client bound to one server and one bearer token. Cheap to clone (the connection pool is
/// shared).
#[derive(Clone)]
pub struct Api {
    client: Client<HttpConnector, Full<Bytes>>,
    base: Arc<str>,
    authorization: Option<HeaderValue>,
}

/// One answered request.
#[derive(Debug)]
pub struct Reply {
    /// The response status.
    pub status: StatusCode,
    /// The whole response body.
    pub body: Bytes,
    /// From sending the request to having read the last byte of the body.
    pub elapsed: Duration,
}

impl Reply {
    /// The body as JSON, or an error naming the request when the status is not 2xx or the
    /// body is not JSON.
    pub fn json(&self, what: &str) -> anyhow::Result<Value> {
        self.ok(what)?;
        serde_json::from_slice(&self.body)
            .with_context(|| format!("{what}: the answer is not JSON: {}", self.snippet()))
    }

    /// An error naming the request unless the status is 2xx.
    pub fn ok(&self, what: &str) -> anyhow::Result<()> {
        if !self.status.is_success() {
            bail!("{what}: HTTP {}: {}", self.status, self.snippet());
        }
        Ok(())
    }

    fn snippet(&self) -> String {
        let text = String::from_utf8_lossy(&self.body);
        let mut s: String = text.chars().take(600).collect();
        if text.chars().count() > 600 {
            s.push_str("...");
        }
        s
    }
}

/// A download read frame by frame and counted, never held whole.
#[derive(Debug)]
pub struct Download {
    /// Body bytes.
    pub bytes: u64,
    /// Line feeds in the body (a CSV's records plus its header, when no cell holds one).
    pub lines: u64,
    /// From sending the request to the first body byte.
    pub first_byte: Duration,
    /// From sending the request to the last body byte.
    pub elapsed: Duration,
    /// The body's first bytes (up to 600), for error messages and a look at the header.
    pub head: Vec<u8>,
}

impl Api {
    /// A client for the server at `base` (e.g. `http://127.0.0.1:8080`), without a token yet.
    pub fn new(base: &str) -> Self {
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        let client = Client::builder(TokioExecutor::new())
            .pool_max_idle_per_host(64)
            .pool_idle_timeout(Duration::from_secs(300))
            .build(connector);
        Api {
            client,
            base: Arc::from(base.trim_end_matches('/')),
            authorization: None,
        }
    }

    /// Exchanges a personal access token's client id and secret for a bearer token
    /// (`POST /oauth/token`, client credentials) and uses it from now on.
    pub async fn log_in(&mut self, client_id: &str, client_secret: &str) -> anyhow::Result<()> {
        let form = format!(
            "grant_type=client_credentials&client_id={}&client_secret={}",
            encode(client_id),
            encode(client_secret)
        );
        let request = Request::builder()
            .method(Method::POST)
            .uri(format!("{}/oauth/token", self.base))
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Full::new(Bytes::from(form)))?;
        let reply = self.exchange(request).await?;
        let token = reply.json("POST /oauth/token")?;
        let Some(access) = token.get("access_token").and_then(Value::as_str) else {
            bail!("POST /oauth/token: no access_token in the answer");
        };
        self.authorization = Some(HeaderValue::from_str(&format!("Bearer {access}"))?);
        Ok(())
    }

    /// `GET path` (path and query, starting with `/`).
    pub async fn get(&self, path: &str) -> anyhow::Result<Reply> {
        self.send(Method::GET, path, None).await
    }

    /// `POST path` with a JSON body.
    pub async fn post(&self, path: &str, body: &Value) -> anyhow::Result<Reply> {
        self.send(Method::POST, path, Some(serde_json::to_vec(body)?))
            .await
    }

    /// `GET path`, reading the body as it arrives and counting its bytes and lines (for large
    /// CSV downloads: the driver's memory stays flat whatever the size).
    pub async fn download(&self, path: &str) -> anyhow::Result<Download> {
        let mut builder = Request::builder()
            .method(Method::GET)
            .uri(format!("{}{path}", self.base));
        if let Some(auth) = &self.authorization {
            builder = builder.header(AUTHORIZATION, auth.clone());
        }
        let request = builder.body(Full::new(Bytes::new()))?;
        let started = Instant::now();
        let response = self
            .client
            .request(request)
            .await
            .with_context(|| format!("GET {path}"))?;
        let status = response.status();
        let mut body = response.into_body();
        let mut download = Download {
            bytes: 0,
            lines: 0,
            first_byte: Duration::ZERO,
            elapsed: Duration::ZERO,
            head: Vec::new(),
        };
        while let Some(frame) = body.frame().await {
            let frame = frame.with_context(|| format!("GET {path}: the body broke off"))?;
            let Ok(data) = frame.into_data() else {
                continue;
            };
            if download.bytes == 0 && !data.is_empty() {
                download.first_byte = started.elapsed();
            }
            if download.head.len() < 600 {
                let room = 600 - download.head.len();
                download
                    .head
                    .extend_from_slice(&data[..data.len().min(room)]);
            }
            download.bytes += data.len() as u64;
            download.lines += data.iter().filter(|b| **b == b'\n').count() as u64;
        }
        download.elapsed = started.elapsed();
        if !status.is_success() {
            bail!(
                "GET {path}: HTTP {status}: {}",
                String::from_utf8_lossy(&download.head)
            );
        }
        Ok(download)
    }

    /// Sends one request and reads the whole answer.
    async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<Vec<u8>>,
    ) -> anyhow::Result<Reply> {
        let mut builder = Request::builder()
            .method(method.clone())
            .uri(format!("{}{path}", self.base));
        if let Some(auth) = &self.authorization {
            builder = builder.header(AUTHORIZATION, auth.clone());
        }
        let body = match body {
            Some(bytes) => {
                builder = builder.header(CONTENT_TYPE, "application/json");
                Full::new(Bytes::from(bytes))
            }
            None => Full::new(Bytes::new()),
        };
        let request = builder.body(body)?;
        self.exchange(request)
            .await
            .with_context(|| format!("{method} {path}"))
    }

    async fn exchange(&self, request: Request<Full<Bytes>>) -> anyhow::Result<Reply> {
        let started = Instant::now();
        let response = self.client.request(request).await?;
        let status = response.status();
        let body = response.into_body().collect().await?.to_bytes();
        Ok(Reply {
            status,
            body,
            elapsed: started.elapsed(),
        })
    }
}

/// Percent-encodes everything but RFC 3986's unreserved characters, for query values.
pub fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len() * 3);
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::encode;

    #[test]
    fn encodes_filters() {
        assert_eq!(
            encode("campaign.id eq \"a1\""),
            "campaign.id%20eq%20%22a1%22"
        );
        assert_eq!(encode("x,y"), "x%2Cy");
    }
}
