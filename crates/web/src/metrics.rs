//! Prometheus metrics, written in the text exposition format by hand (a few counters and one
//! histogram do not justify a metrics framework).

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;

use crate::ServerState;

/// Latency buckets in seconds.
const BUCKETS: [f64; 10] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0];

#[derive(Default)]
struct RouteStats {
    /// Count per status code.
    responses: BTreeMap<u16, u64>,
    bucket_counts: [u64; BUCKETS.len()],
    count: u64,
    sum_seconds: f64,
}

#[derive(Default)]
pub struct Metrics {
    routes: Mutex<BTreeMap<(String, String), RouteStats>>,
}

impl Metrics {
    fn observe(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let Ok(mut routes) = self.routes.lock() else {
            return;
        };
        let stats = routes.entry((method.to_owned(), route.to_owned())).or_default();
        *stats.responses.entry(status).or_default() += 1;
        stats.count += 1;
        stats.sum_seconds += seconds;
        for (i, bound) in BUCKETS.iter().enumerate() {
            if seconds <= *bound {
                stats.bucket_counts[i] += 1;
            }
        }
    }

    pub fn render(&self) -> String {
        let mut out = String::new();
        out.push_str("# HELP sensate_http_responses_total HTTP responses by route and status.\n");
        out.push_str("# TYPE sensate_http_responses_total counter\n");
        let Ok(routes) = self.routes.lock() else {
            return out;
        };
        for ((method, route), stats) in routes.iter() {
            for (status, n) in &stats.responses {
                out.push_str(&format!(
                    "sensate_http_responses_total{{method=\"{method}\",route=\"{route}\",status=\"{status}\"}} {n}\n"
                ));
            }
        }
        out.push_str("# HELP sensate_http_request_duration_seconds Time to answer, by route.\n");
        out.push_str("# TYPE sensate_http_request_duration_seconds histogram\n");
        for ((method, route), stats) in routes.iter() {
            let labels = format!("method=\"{method}\",route=\"{route}\"");
            for (bound, n) in BUCKETS.iter().zip(stats.bucket_counts.iter()) {
                out.push_str(&format!(
                    "sensate_http_request_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {n}\n"
                ));
            }
            out.push_str(&format!(
                "sensate_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}\n",
                stats.count
            ));
            out.push_str(&format!(
                "sensate_http_request_duration_seconds_sum{{{labels}}} {}\n",
                stats.sum_seconds
            ));
            out.push_str(&format!(
                "sensate_http_request_duration_seconds_count{{{labels}}} {}\n",
                stats.count
            ));
        }
        out
    }
}

/// Records each response under its route template (`/invitations/{token}`, never the token).
pub async fn track(State(state): State<ServerState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    // Only standard methods get their own series; anything else cannot grow the metrics.
    let method = match request.method().as_str() {
        m @ ("GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE" | "OPTIONS") => m.to_owned(),
        _ => "other".to_owned(),
    };

    let route = request.extensions().get::<MatchedPath>().map(|p| p.as_str().to_owned());
    let response = next.run(request).await;
    // Unmatched paths are grouped, so scanning for URLs cannot grow the metrics without bound.
    let route = route.unwrap_or_else(|| "unmatched".to_owned());
    state.metrics().observe(
        &method,
        &route,
        response.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    response
}
