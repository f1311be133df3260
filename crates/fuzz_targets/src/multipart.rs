//! Multipart form bodies: the forms with a file input (program definition uploads, the
//! hours import, the ethics complaint and reply documents, the VC-JWT file at /verify/check),
//! read by `web::read_multipart_form`, the code behind the `PostedWithFiles` extractor.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};

use crate::Verdict;

/// The first line of `data` is the `Content-Type` header (so the boundary parameter is
/// fuzzed too), the rest the body. What must hold: no request without a session passes the
/// anti-forgery check; an empty file input is dropped; the text fields reach the typed form
/// unchanged through the URL-encoding `PostedWithFiles` passes them through; a refusal is a
/// 400 or a 415, never a server error.
pub fn multipart_form(data: &[u8]) -> Verdict {
    let (content_type, body) = match data.iter().position(|&b| b == b'\n') {
        Some(at) => (&data[..at], &data[at + 1..]),
        None => (data, &[][..]),
    };
    let Ok(request) = Request::builder()
        .method("POST")
        .uri("/portal/import")
        .header(header::CONTENT_TYPE, content_type)
        .body(Body::from(body.to_vec()))
    else {
        return Verdict::Refused;
    };
    match runtime().block_on(web::read_multipart_form(request, &())) {
        Ok(form) => {
            assert!(!form.token_ok, "a form without a session passed the anti-forgery check");
            // Files are kept byte for byte (text fields are decoded, invalid UTF-8 replaced).
            let mut read = 0;
            for file in &form.files {
                assert!(
                    !file.bytes.is_empty() || file.file_name.is_some(),
                    "an empty file input was kept"
                );
                read += file.bytes.len();
            }
            assert!(
                read <= body.len(),
                "read {read} file bytes from a body of {}",
                body.len()
            );
            let encoded = serde_urlencoded::to_string(&form.pairs).expect("text fields encode");
            let back: Vec<(String, String)> = serde_urlencoded::from_str(&encoded).expect("encoded fields decode");
            assert_eq!(back, form.pairs, "text fields changed on their way to the typed form");
            Verdict::Accepted
        }
        Err(response) => {
            let status = response.status();
            assert!(
                status == StatusCode::BAD_REQUEST || status == StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "answered {status}"
            );
            Verdict::Refused
        }
    }
}

fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: std::sync::OnceLock<tokio::runtime::Runtime> = std::sync::OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a current-thread runtime")
    })
}
