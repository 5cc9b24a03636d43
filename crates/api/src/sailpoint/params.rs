//! SailPoint collection parameters (`filters`, `sorters`, `limit`, `offset`, `count`) checked
//! against what one endpoint declares, turned into the store's [`ListQuery`], plus the
//! `X-Total-Count` header of a counted list.
//!
//! Policy: every problem is reported at once, each as one cause naming the parameter and the
//! field or operator refused, in a single 400.

use std::collections::HashMap;

use attest_query::{parse_filter, FilterSpec, Paging, SortSpec};
use attest_store::campaigns::{ListQuery, Page};
use axum::extract::rejection::QueryRejection;
use axum::extract::Query;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Uri};

use crate::ApiError;

/// What one collection endpoint accepts.
#[derive(Debug, Clone, Copy)]
pub struct Collection {
    /// Filterable fields and their operators.
    pub filters: &'static FilterSpec,
    /// Sortable fields.
    pub sorters: &'static SortSpec,
}

/// The `X-Total-Count` header name.
pub static TOTAL_COUNT: HeaderName = HeaderName::from_static("x-total-count");

/// The query parameters as a map (the last value of a repeated parameter wins); a malformed
/// query string is a 400 naming the problem.
pub fn query_map(
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Result<HashMap<String, String>, ApiError> {
    query
        .map(|Query(map)| map)
        .map_err(|rejection| ApiError::BadRequest {
            message: "The query string is invalid.".to_owned(),
            causes: vec![rejection.body_text()],
        })
}

/// [`query_map`] of a request's URI.
pub fn query_params(uri: &Uri) -> Result<HashMap<String, String>, ApiError> {
    query_map(Query::try_from_uri(uri))
}

/// Parses the collection parameters of `params` for `collection`. Parameters other than the
/// five collection ones are left for the handler.
pub fn list_query(
    params: &HashMap<String, String>,
    collection: &Collection,
) -> Result<ListQuery, ApiError> {
    let mut causes = Vec::new();
    let paging = match Paging::parse(
        params.get("limit").map(String::as_str),
        params.get("offset").map(String::as_str),
        params.get("count").map(String::as_str),
    ) {
        Ok(paging) => paging,
        Err(error) => {
            causes.extend(error.iter().map(ToString::to_string));
            Paging::default()
        }
    };
    let filter = match params
        .get("filters")
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
    {
        None => None,
        Some(text) => match parse_filter(text) {
            Ok(filter) => match collection.filters.validate(&filter) {
                Ok(()) => Some(filter),
                Err(refusals) => {
                    causes.extend(refusals.iter().map(|r| format!("filters: {r}")));
                    None
                }
            },
            Err(error) => {
                causes.push(format!("filters: {error}"));
                None
            }
        },
    };
    let sort = match params
        .get("sorters")
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
    {
        None => Vec::new(),
        Some(text) => match collection.sorters.parse(text) {
            Ok(keys) => keys,
            Err(errors) => {
                causes.extend(errors.iter().map(|e| format!("sorters: {e}")));
                Vec::new()
            }
        },
    };
    if !causes.is_empty() {
        return Err(ApiError::BadRequest {
            message: "The collection parameters are invalid.".to_owned(),
            causes,
        });
    }
    Ok(ListQuery {
        filter,
        sort,
        limit: paging.limit,
        offset: paging.offset,
        count: paging.count,
    })
}

/// Headers for a listed page: `X-Total-Count` when the caller asked for a count.
pub fn page_headers<T>(page: &Page<T>) -> HeaderMap {
    let mut headers = HeaderMap::new();
    if let Some(total) = page.total {
        headers.insert(TOTAL_COUNT.clone(), HeaderValue::from(total));
    }
    headers
}
