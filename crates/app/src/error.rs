//! The application's one error type.
//!
//! Error policy:
//! - A problem the person can fix is a value they see: `Validation` names each field's problem;
//!   `Throttled`, `InvalidLink`, `InvalidCredentials` and `InvalidCode` carry a message written
//!   for them. These never include internal detail.
//! - `Unauthenticated` and `Forbidden` are decisions, not faults. Denials are audited where
//!   they are decided (see `authz`), so the web layer only maps them to 401/403.
//! - Everything else is `Internal` or `Unavailable`: the cause chain is kept for the log
//!   (written once, at the web boundary, with the request id) and the person sees a friendly
//!   page with that request id. Secrets never enter an error message.

use domain::FieldErrors;

pub type AppResult<T> = Result<T, AppError>;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("the input has problems: {0}")]
    Validation(FieldErrors),
    #[error("sign-in required")]
    Unauthenticated,
    #[error("not allowed: {0}")]
    Forbidden(String),
    /// Allowed once the person has set up two-factor sign-in (pages send them to do so).
    #[error("two-factor sign-in needed: {0}")]
    SecondFactorRequired(String),
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    Throttled(String),
    #[error("E-mail address or password is incorrect.")]
    InvalidCredentials,
    /// A one-time link that expired, was used, or never existed.
    #[error("This link has expired or has already been used.")]
    InvalidLink,
    #[error("{0}")]
    Refused(String),
    /// An action that waits on several things the person (or others) must do first, listed.
    #[error("not yet: {}", .0.join("; "))]
    Blocked(Vec<String>),
    #[error("the database is unavailable")]
    Unavailable(#[source] anyhow::Error),
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl AppError {
    pub fn internal(error: impl Into<anyhow::Error>) -> AppError {
        AppError::Internal(error.into())
    }

    /// A validation error on one field.
    pub fn field(field: &str, message: impl Into<String>) -> AppError {
        let mut errors = FieldErrors::new();
        errors.add(field, message);
        AppError::Validation(errors)
    }
}

impl From<store::StoreError> for AppError {
    fn from(error: store::StoreError) -> Self {
        match error {
            store::StoreError::NotFound => AppError::NotFound,
            e if e.is_unavailable() => AppError::Unavailable(e.into()),
            e => AppError::Internal(e.into()),
        }
    }
}

impl From<FieldErrors> for AppError {
    fn from(errors: FieldErrors) -> Self {
        AppError::Validation(errors)
    }
}
