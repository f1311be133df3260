//! Refusals for too many attempts (429: sign-in, second-factor codes, resets, public lookups)
//! are answered after a pause. A script hammering the sign-in form from a few connections then
//! waits on each of them instead of getting its next try at once, so its requests stop
//! competing with everyone else's for the processor and the database: that is what keeps other
//! pages fast during a sign-in storm (bench/signin-storm measures it). The pause costs the
//! server a timer, not a thread, and people only meet it after several failures.

use std::time::Duration;

use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::Response;

/// How long a refusal for too many attempts waits before it is sent.
pub const REFUSAL_PAUSE: Duration = Duration::from_secs(1);

pub async fn pause_refusals(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    if response.status() == StatusCode::TOO_MANY_REQUESTS {
        tokio::time::sleep(REFUSAL_PAUSE).await;
    }
    response
}
