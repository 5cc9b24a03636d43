//! Personal access tokens and the bearer tokens they are exchanged for.
//!
//! Policy: a client secret is shown once, when the token is created, and stored only as an
//! Argon2id hash; it is never logged. Bearer tokens are HS256-signed JWTs carrying the identity,
//! the client and its authorities, so verifying one needs no database round trip. Expiry is
//! checked against the injected [`Clock`], never the wall clock, so tests can expire a token
//! by moving time.

use std::sync::Arc;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use attest_domain::{Authority, ClientId, Clock, IdentityId};
use attest_store::{ApiClient, Store, StoreError};
use chrono::{DateTime, Duration, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::rngs::OsRng;
use rand::RngCore;
use serde::{Deserialize, Serialize};

/// The OAuth scope every Attest token carries (SailPoint's spelling for "all scopes").
pub const TOKEN_SCOPE: &str = "sp:scopes:all";

/// The issuer written into and required of every token.
const ISSUER: &str = "attest";

/// What can go wrong creating or exchanging credentials.
#[derive(Debug, thiserror::Error)]
pub enum CredentialError {
    /// The identity named for a new token does not exist.
    #[error("identity \"{0}\" does not exist")]
    UnknownIdentity(IdentityId),
    /// The client id is unknown or the secret does not match (deliberately indistinguishable).
    #[error("invalid client credentials")]
    InvalidClient,
    /// The token name is empty or too long.
    #[error("token name must be 1 to 128 characters")]
    BadName,
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Hashing or signing failed (never caused by the caller's input).
    #[error("credential processing failed: {0}")]
    Crypto(String),
}

/// Why a bearer token was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// The token's lifetime is over.
    #[error("JWT validation failed: JWT is expired")]
    Expired,
    /// The token is malformed, forged or signed by another key.
    #[error("JWT validation failed: invalid token")]
    Invalid,
}

/// A new personal access token: the only time its secret is visible.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreatedPat {
    /// Public client id.
    pub client_id: ClientId,
    /// The secret, in clear, once.
    pub client_secret: String,
    /// The identity it acts as.
    pub identity_id: IdentityId,
    /// Its authorities.
    pub authorities: Vec<Authority>,
    /// Its label.
    pub name: String,
}

/// A bearer token issued by the token endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedToken {
    /// The signed JWT.
    pub access_token: String,
    /// Seconds until it expires.
    pub expires_in: i64,
    /// The identity it acts as.
    pub identity_id: IdentityId,
    /// The authorities it carries.
    pub authorities: Vec<Authority>,
}

/// Who is calling, as proven by a verified bearer token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The identity the caller acts as.
    pub identity_id: IdentityId,
    /// The API client that obtained the token.
    pub client_id: ClientId,
    /// The caller's authorities.
    pub authorities: Vec<Authority>,
    /// When the token expires.
    pub expires_at: DateTime<Utc>,
}

impl Caller {
    /// Whether the caller holds `authority` (ORG_ADMIN holds every authority).
    pub fn has(&self, authority: Authority) -> bool {
        authority.is_granted_by(&self.authorities)
    }

    /// Whether the caller holds any of `authorities`.
    pub fn has_any(&self, authorities: &[Authority]) -> bool {
        authorities.iter().any(|a| self.has(*a))
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    iss: String,
    sub: String,
    client_id: String,
    authorities: Vec<Authority>,
    iat: i64,
    exp: i64,
    jti: String,
}

/// Creates personal access tokens, exchanges them for bearer tokens and verifies those.
#[derive(Clone)]
pub struct Credentials {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    ttl: Duration,
    encoding: EncodingKey,
    decoding: DecodingKey,
    /// A hash of a random secret, verified against when the client id is unknown so that an
    /// unknown client takes as long to refuse as a wrong secret.
    decoy_hash: Arc<str>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

impl Credentials {
    /// Loads the token-signing key shared by every node (creating it on first start).
    pub async fn new(
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        ttl: Duration,
    ) -> Result<Self, CredentialError> {
        let mut candidate = [0u8; 32];
        OsRng.fill_bytes(&mut candidate);
        let key = store.token_signing_key(&candidate).await?;
        let decoy_hash = hash_secret(random_hex(32)).await?.into();
        Ok(Self {
            store,
            clock,
            ttl,
            encoding: EncodingKey::from_secret(&key),
            decoding: DecodingKey::from_secret(&key),
            decoy_hash,
        })
    }

    /// Creates a personal access token for an existing identity.
    pub async fn create_pat(
        &self,
        identity_id: IdentityId,
        authorities: Vec<Authority>,
        name: String,
    ) -> Result<CreatedPat, CredentialError> {
        if name.trim().is_empty() || name.chars().count() > 128 {
            return Err(CredentialError::BadName);
        }
        if self.store.identity(&identity_id).await?.is_none() {
            return Err(CredentialError::UnknownIdentity(identity_id));
        }
        let mut authorities = authorities;
        authorities.sort();
        authorities.dedup();
        let client_id = ClientId(random_hex(16));
        let client_secret = random_hex(32);
        let secret_hash = hash_secret(client_secret.clone()).await?;
        self.store
            .insert_api_client(&ApiClient {
                client_id: client_id.clone(),
                secret_hash,
                identity_id: identity_id.clone(),
                authorities: authorities.clone(),
                name: name.clone(),
                created_at: self.clock.now(),
            })
            .await?;
        tracing::info!(client_id = %client_id, identity_id = %identity_id, "personal access token created");
        Ok(CreatedPat {
            client_id,
            client_secret,
            identity_id,
            authorities,
            name,
        })
    }

    /// The OAuth client-credentials grant: checks the secret and signs a bearer token.
    pub async fn issue_token(
        &self,
        client_id: &str,
        client_secret: &str,
    ) -> Result<IssuedToken, CredentialError> {
        let client = self
            .store
            .api_client(&ClientId(client_id.to_owned()))
            .await?;
        let hash = client
            .as_ref()
            .map(|c| c.secret_hash.clone())
            .unwrap_or_else(|| self.decoy_hash.to_string());
        let matches = verify_secret(client_secret.to_owned(), hash).await?;
        let client = match client {
            Some(c) if matches => c,
            _ => return Err(CredentialError::InvalidClient),
        };
        let now = self.clock.now();
        // Recording the last use is bookkeeping: it must never delay or fail a token request
        // (on SQLite it would wait behind a running import for the single writer).
        let store = Arc::clone(&self.store);
        let used = client.client_id.clone();
        tokio::spawn(async move {
            if let Err(e) = store.record_client_use(&used, now).await {
                tracing::warn!(client_id = %used, error = %e, "could not record the client's last use");
            }
        });
        let claims = Claims {
            iss: ISSUER.to_owned(),
            sub: client.identity_id.0.clone(),
            client_id: client.client_id.0.clone(),
            authorities: client.authorities.clone(),
            iat: now.timestamp(),
            exp: (now + self.ttl).timestamp(),
            jti: random_hex(16),
        };
        let access_token =
            jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
                .map_err(|e| CredentialError::Crypto(e.to_string()))?;
        Ok(IssuedToken {
            access_token,
            expires_in: self.ttl.num_seconds(),
            identity_id: client.identity_id,
            authorities: client.authorities,
        })
    }

    /// Verifies a bearer token's signature, issuer and expiry (against the injected clock).
    pub fn verify_token(&self, token: &str) -> Result<Caller, TokenError> {
        let mut validation = Validation::new(Algorithm::HS256);
        // Expiry is checked below against the injected clock, not the library's wall clock.
        validation.validate_exp = false;
        validation.required_spec_claims.clear();
        validation.set_issuer(&[ISSUER]);
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &validation)
            .map_err(|_| TokenError::Invalid)?;
        let claims = data.claims;
        let expires_at = DateTime::from_timestamp(claims.exp, 0).ok_or(TokenError::Invalid)?;
        if self.clock.now() >= expires_at {
            return Err(TokenError::Expired);
        }
        Ok(Caller {
            identity_id: IdentityId(claims.sub),
            client_id: ClientId(claims.client_id),
            authorities: claims.authorities,
            expires_at,
        })
    }
}

fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    OsRng.fill_bytes(&mut buf);
    buf.iter().map(|b| format!("{b:02x}")).collect()
}

/// Hashes a secret with Argon2id (default, OWASP-recommended parameters) off the async runtime.
async fn hash_secret(secret: String) -> Result<String, CredentialError> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(secret.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| CredentialError::Crypto(e.to_string()))
    })
    .await
    .map_err(|e| CredentialError::Crypto(e.to_string()))?
}

/// Verifies a secret against a stored hash off the async runtime.
async fn verify_secret(secret: String, hash: String) -> Result<bool, CredentialError> {
    tokio::task::spawn_blocking(move || {
        let parsed =
            PasswordHash::new(&hash).map_err(|e| CredentialError::Crypto(e.to_string()))?;
        Ok(Argon2::default()
            .verify_password(secret.as_bytes(), &parsed)
            .is_ok())
    })
    .await
    .map_err(|e| CredentialError::Crypto(e.to_string()))?
}
