//! Engine errors as API errors, for every family that calls the certification engine.
//!
//! Policy: the engine decides what went wrong; this mapping only picks the status.
//! [`EngineError::Invalid`] is a 400 whose causes are the engine's (SailPoint `causes`,
//! native `details`), [`EngineError::Forbidden`] a 403, [`EngineError::NotFound`] a 404, and
//! storage failures go through [`ApiError`]'s own mapping (an opaque 500).

use attest_engine::campaigns::EngineError;

use crate::ApiError;

impl From<EngineError> for ApiError {
    fn from(error: EngineError) -> Self {
        match error {
            EngineError::Invalid { message, causes } => ApiError::BadRequest { message, causes },
            EngineError::Forbidden(message) => ApiError::Forbidden(message),
            EngineError::NotFound(message) => ApiError::NotFound(message),
            EngineError::Store(error) => ApiError::from(error),
        }
    }
}

#[cfg(test)]
mod tests {
    use attest_store::StoreError;
    use axum::http::StatusCode;

    use super::*;

    #[test]
    fn statuses_follow_the_engine_error() {
        let invalid = ApiError::from(EngineError::Invalid {
            message: "The campaign is invalid.".into(),
            causes: vec!["name: required".into()],
        });
        assert_eq!(invalid.status(), StatusCode::BAD_REQUEST);
        assert!(
            matches!(&invalid, ApiError::BadRequest { causes, .. } if causes == &["name: required"])
        );
        assert_eq!(
            ApiError::from(EngineError::Forbidden("no".into())).status(),
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            ApiError::from(EngineError::NotFound("Campaign c1 not found.".into())).status(),
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            ApiError::from(EngineError::Store(StoreError::Database("boom".into()))).status(),
            StatusCode::INTERNAL_SERVER_ERROR
        );
    }
}
