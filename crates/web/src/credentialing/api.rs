//! The JSON API of public credential verification (`/api/v1/credentials/{number}`).

use axum::Json;
use axum::extract::{Path, State};
use axum::routing::get;
use serde::Serialize;
use utoipa::ToSchema;

use crate::api::ApiError;
use crate::context::Meta;
use crate::routes::Routes;
use crate::{ServerState, WebError};

pub(crate) fn routes() -> Routes {
    Routes::new().route("/api/v1/credentials/{number}", get(credential))
}

/// What a credential is.
#[derive(Serialize, ToSchema)]
pub struct CredentialType {
    /// The program's code: `CST`, `CSC`, `CSE`, `CST-S`.
    code: String,
    name: String,
    /// `therapist`, `counselor`, `educator` or `supervisor`.
    kind: Option<String>,
    /// What this kind of professional does, in one line.
    explanation: String,
    /// The rule version the holder was judged by.
    rule_version: String,
}

/// A credential as the public register shows it.
#[derive(Serialize, ToSchema)]
pub struct CredentialRecord {
    /// The credential number, with its check digits (`CST-2026-000123-46`).
    number: String,
    /// The holder's name as certified.
    holder: String,
    credential: CredentialType,
    /// `active`, `expired`, `lapsed`, `suspended` or `revoked`, worked out today.
    status: String,
    status_explanation: String,
    /// First and last day of validity (ISO 8601 dates).
    valid_from: String,
    valid_until: String,
    /// The board's public notice of a sanction, if any.
    public_notice: Option<String>,
    /// Whether the suspension in force is an interim measure while an ethics complaint is
    /// considered, not a final decision.
    interim_suspension: bool,
    verification_url: String,
}

impl CredentialRecord {
    fn of(view: app::credentialing::credentials::PublicCredential, public_url: &str) -> CredentialRecord {
        CredentialRecord {
            verification_url: format!("{public_url}/verify/{}", view.number),
            number: view.number,
            holder: view.holder_name,
            credential: CredentialType {
                code: view.program_code,
                name: view.program_name,
                kind: view.kind.map(|k| k.as_str().to_owned()),
                explanation: view.kind_explanation.to_owned(),
                rule_version: view.rule_version,
            },
            status: view.status.as_str().to_owned(),
            status_explanation: view.status.explanation().to_owned(),
            valid_from: view.valid_from.to_string(),
            valid_until: view.valid_until.to_string(),
            public_notice: view.public_notice,
            interim_suspension: view.interim,
        }
    }
}

/// Public verification of one credential by number. Rate-limited per client address (60 a
/// minute); over the limit the answer is 429 with `Retry-After`.
#[utoipa::path(get, path = "/api/v1/credentials/{number}", tag = "verification",
    params(("number" = String, Path,
        description = "Credential number, e.g. CST-2026-000123-46 (letters in either case): the program, \
            the year, six digits and two check digits (ISO 7064 MOD 97-10)",
        pattern = "^[A-Za-z][A-Za-z0-9-]{1,15}-[0-9]{4}-[0-9]{6}-[0-9]{2}$")),
    responses((status = 200, body = CredentialRecord),
        (status = 404, description = "No credential has this number", body = ApiError),
        (status = 422, description = "Not a credential number, or its check digits do not match (a typo)", body = ApiError),
        (status = 429, description = "Too many lookups from this address", body = ApiError,
            headers(("Retry-After" = u32, description = "Seconds to wait")))))]
pub(crate) async fn credential(
    State(state): State<ServerState>,
    Meta(meta): Meta,
    Path(number): Path<String>,
) -> Result<Json<CredentialRecord>, WebError> {
    state.count_lookup(&meta)?;
    let app = state.ready_app()?;
    let view = app.verify_number(&number).await?;
    Ok(Json(CredentialRecord::of(view, &app.config().public_url)))
}
