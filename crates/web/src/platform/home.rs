//! The home page: what Sensate is, for each audience.

use askama::Template;
use axum::response::Response;
use axum::routing::get;

use crate::WebError;
use crate::page::{PageContext, page};
use crate::routes::Routes;

pub fn routes() -> Routes {
    Routes::new().route("/", get(home))
}

#[derive(Template)]
#[template(path = "platform/home.html")]
struct HomePage {
    ctx: PageContext,
}

async fn home(ctx: PageContext) -> Result<Response, WebError> {
    page(&HomePage { ctx })
}

/// A page that says one thing, with optional next steps.
#[derive(Template)]
#[template(path = "message.html")]
pub struct MessagePage {
    pub ctx: PageContext,
    pub title: String,
    pub paragraphs: Vec<String>,
    pub actions: Vec<(String, String)>,
}

impl MessagePage {
    pub fn new(ctx: PageContext, title: &str, paragraphs: &[&str], actions: &[(&str, &str)]) -> MessagePage {
        MessagePage {
            ctx,
            title: title.to_owned(),
            paragraphs: paragraphs.iter().map(|p| (*p).to_owned()).collect(),
            actions: actions
                .iter()
                .map(|(l, h)| ((*l).to_owned(), (*h).to_owned()))
                .collect(),
        }
    }
}
