//! The SailPoint Identity Security Cloud façade: campaigns, certifications and their tasks,
//! as SailPoint's SDKs and scripts call them.
//!
//! Policy: one set of handlers serves every URL family SailPoint publishes the certification
//! API under ([`PREFIXES`]); the façade translates shapes and statuses and holds no rules.
//! Every route needs a bearer token. Errors are SailPoint's: `{"error"}` for 401,
//! `ErrorResponseDto` for the rest (see [`crate::error`]).
//!
//! # URL families
//!
//! The versioned public families ([`VERSIONED_PREFIXES`]: `/v3`, `/v2024`, `/v2025`, `/v2026`,
//! `/beta`) hold every resource under its own segment (`/v3/campaigns/{id}`,
//! `/v3/certification-tasks/{id}`). The service-versioned families hold one resource each,
//! with the resource segment folded into the prefix: `/campaigns/v1/{id}` is
//! `/v3/campaigns/{id}`, `/certification-tasks/v1` is `/v3/certification-tasks`. [`routes`]
//! builds the router of one prefix from the same per-resource routers, so every family
//! reaches the same handler. Shapes are the same in every family: where a later family made a
//! field nullable or added one, the union is served (see each `*Out` type).
//!
//! # Shared wire helpers
//!
//! [`timestamp`] writes SailPoint's date-times (`2026-01-02T03:04:05.678Z`),
//! [`ErrorMessageOut`] its `ErrorMessageDto`, [`parse_body`] reads a JSON body into an `*In`
//! type with a SailPoint 400 on failure.

pub mod campaign_filters;
pub mod campaigns;
pub mod catalog;
pub mod certifications;
pub mod errors;
pub mod params;
pub mod remediation_scan;
pub mod reports;
pub mod summaries;
pub mod tasks;
pub mod templates;

use axum::body::Bytes;
use axum::Router;
use serde::de::DeserializeOwned;
use serde::Serialize;
use utoipa::ToSchema;

use crate::{ApiError, AppState};

/// The path prefixes SailPoint's certification API lives under: the versioned public API
/// families and the service-versioned ones.
pub const PREFIXES: &[&str] = &[
    "/v3",
    "/v2024",
    "/v2025",
    "/v2026",
    "/beta",
    "/campaigns/v1",
    "/campaign-templates/v1",
    "/campaign-filters/v1",
    "/certifications/v1",
    "/certification-tasks/v1",
    "/reports/v1",
];

/// The versioned public families: every resource under its own segment.
pub const VERSIONED_PREFIXES: &[&str] = &["/v3", "/v2024", "/v2025", "/v2026", "/beta"];

/// The SailPoint routes of one prefix of [`PREFIXES`], each with its authority requirement,
/// relative to that prefix. A prefix without any resource yet gets an empty router (its
/// family's 401 and 404 still apply).
pub fn routes(prefix: &str) -> Router<AppState> {
    match prefix {
        "/campaigns/v1" => campaigns::routes().merge(reports::routes()),
        "/certification-tasks/v1" => tasks::routes(),
        "/certifications/v1" => certification_routes(false),
        "/campaign-templates/v1" => templates::routes(),
        "/campaign-filters/v1" => campaign_filters::routes(),
        "/reports/v1" => reports::download_routes(),
        versioned => {
            let routes = Router::new()
                .nest("/campaigns", campaigns::routes().merge(reports::routes()))
                .nest("/certification-tasks", tasks::routes())
                .nest("/campaign-templates", templates::routes())
                .nest("/reports", reports::download_routes())
                .nest(
                    "/certifications",
                    certification_routes(versioned == "/beta"),
                );
            // Beta publishes no campaign-filter operations.
            if versioned == "/beta" {
                routes
            } else {
                routes.nest("/campaign-filters", campaign_filters::routes())
            }
        }
    }
}

/// The routes under a `/certifications` segment (certifications and their summaries); the
/// beta family also serves the deprecated per-certification task routes.
fn certification_routes(beta: bool) -> Router<AppState> {
    let routes = certifications::routes().merge(summaries::routes());
    if beta {
        routes.merge(tasks::beta_certification_routes())
    } else {
        routes
    }
}

/// SailPoint's `?detail=` parameter of the campaign endpoints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Detail {
    /// The `SlimCampaign` shape (the default).
    #[default]
    Slim,
    /// The full `Campaign` shape.
    Full,
}

impl Detail {
    /// Parses the parameter (absent: SLIM). Case-sensitive, as the spec's enum is.
    pub fn parse(value: Option<&str>) -> Result<Detail, ApiError> {
        match value {
            None | Some("SLIM") => Ok(Detail::Slim),
            Some("FULL") => Ok(Detail::Full),
            Some(other) => Err(ApiError::BadRequest {
                message: "The detail parameter is invalid.".to_owned(),
                causes: vec![format!("detail: \"{other}\" is not one of SLIM, FULL")],
            }),
        }
    }
}

/// SailPoint's `ErrorMessageDto`: one English text from the default locale (campaign alerts,
/// task errors).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ErrorMessageOut {
    /// Always `en-US`.
    pub locale: String,
    /// Always `DEFAULT`.
    pub locale_origin: LocaleOriginWire,
    /// The text.
    pub text: String,
}

impl ErrorMessageOut {
    /// An English message.
    pub fn english(text: impl Into<String>) -> Self {
        ErrorMessageOut {
            locale: "en-US".to_owned(),
            locale_origin: LocaleOriginWire::Default,
            text: text.into(),
        }
    }
}

/// SailPoint's `LocaleOrigin`: whether a message's locale is the default one or the one the
/// request asked for. Attest writes only `DEFAULT`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub enum LocaleOriginWire {
    /// `DEFAULT`
    #[serde(rename = "DEFAULT")]
    Default,
    /// `REQUEST`
    #[serde(rename = "REQUEST")]
    Request,
}

/// Reads a JSON request body into `T`; a body that is not JSON, or JSON of the wrong shape,
/// is a 400 whose cause says where (serde's message, with line and column).
pub fn parse_body<T: DeserializeOwned>(body: &Bytes) -> Result<T, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::BadRequest {
            message: "The request body is missing.".to_owned(),
            causes: vec!["body: a JSON document is required".to_owned()],
        });
    }
    serde_json::from_slice(body).map_err(|error| ApiError::BadRequest {
        message: "The request body is not valid for this operation.".to_owned(),
        causes: vec![format!("body: {error}")],
    })
}

/// Like [`parse_body`], for optional bodies: an empty body is `None`.
pub fn parse_optional_body<T: DeserializeOwned>(body: &Bytes) -> Result<Option<T>, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        Ok(None)
    } else {
        parse_body(body).map(Some)
    }
}

/// A count as SailPoint's `int32` fields carry it; a count beyond `i32::MAX` (never seen in
/// practice) is written as `i32::MAX` rather than wrapping.
pub fn count32(count: i64) -> i32 {
    i32::try_from(count).unwrap_or(if count < 0 { 0 } else { i32::MAX })
}

/// SailPoint's date-times: UTC with milliseconds, `2026-01-02T03:04:05.678Z`. Use with
/// `#[serde(serialize_with = "crate::sailpoint::timestamp::serialize")]` (or
/// `serialize_option` for nullable fields, written as `null`).
pub mod timestamp {
    use chrono::{DateTime, SecondsFormat, Utc};
    use serde::Serializer;

    /// The text of `at`.
    pub fn format(at: &DateTime<Utc>) -> String {
        at.to_rfc3339_opts(SecondsFormat::Millis, true)
    }

    /// Serializes a date-time.
    pub fn serialize<S: Serializer>(at: &DateTime<Utc>, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&format(at))
    }

    /// Serializes an optional date-time (`null` when absent).
    pub fn serialize_option<S: Serializer>(
        at: &Option<DateTime<Utc>>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match at {
            Some(at) => serializer.serialize_str(&format(at)),
            None => serializer.serialize_none(),
        }
    }
}

/// Declares a wire enum that mirrors a domain enum variant for variant, with SailPoint's
/// spellings, an OpenAPI schema, and conversions both ways. Each variant is documented by its
/// wire spelling.
///
/// ```text
/// mirror_enum!(
///     /// A campaign's type.
///     CampaignTypeWire mirrors attest_domain::campaign::CampaignType {
///         Manager => "MANAGER",
///         ...
///     }
/// );
/// ```
macro_rules! mirror_enum {
    ($(#[$meta:meta])* $name:ident mirrors $domain:path { $($variant:ident => $text:tt),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
        )]
        pub enum $name {
            $(
                #[doc = $text]
                #[serde(rename = $text)]
                $variant,
            )+
        }

        impl $name {
            /// Every wire spelling, in declaration order.
            pub const SPELLINGS: &'static [&'static str] = &[$($text),+];

            /// The wire spelling.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }

            /// The value spelled `text`, if any.
            pub fn parse(text: &str) -> Option<Self> {
                match text {
                    $($text => Some($name::$variant),)+
                    _ => None,
                }
            }
        }

        impl From<$domain> for $name {
            fn from(value: $domain) -> Self {
                use $domain as D;
                match value {
                    $(D::$variant => $name::$variant,)+
                }
            }
        }

        impl From<$name> for $domain {
            fn from(value: $name) -> Self {
                use $domain as D;
                match value {
                    $($name::$variant => D::$variant,)+
                }
            }
        }
    };
}
pub(crate) use mirror_enum;

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;

    #[test]
    fn timestamps_have_milliseconds_and_z() {
        let at = Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap()
            + chrono::Duration::milliseconds(678);
        assert_eq!(timestamp::format(&at), "2026-01-02T03:04:05.678Z");
        let whole = Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap();
        assert_eq!(timestamp::format(&whole), "2026-01-02T03:04:05.000Z");
    }

    #[test]
    fn detail_defaults_to_slim() {
        assert_eq!(Detail::parse(None).unwrap(), Detail::Slim);
        assert_eq!(Detail::parse(Some("FULL")).unwrap(), Detail::Full);
        assert!(Detail::parse(Some("full")).is_err());
    }

    #[test]
    fn bodies_must_be_json() {
        assert!(parse_body::<serde_json::Value>(&Bytes::from_static(b" ")).is_err());
        assert!(parse_body::<serde_json::Value>(&Bytes::from_static(b"{")).is_err());
        assert_eq!(
            parse_optional_body::<serde_json::Value>(&Bytes::new()).unwrap(),
            None
        );
    }
}
