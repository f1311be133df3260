//! The route table. Every route the server answers is registered through [`Routes`], which keeps
//! the list of paths beside the axum router it builds. The authorization matrix test
//! (crates/web/tests/authorization.rs, with its table in AUTHORIZATION.md) walks that list, so a
//! route cannot be added without the matrix saying who may use it. Only this file creates an axum
//! `Router`; the same test checks that no other source file does.

use axum::Router;
use axum::routing::MethodRouter;

use crate::ServerState;

/// Routes and their paths, built together.
#[derive(Default)]
pub struct Routes {
    router: Router<ServerState>,
    paths: Vec<String>,
}

impl Routes {
    pub fn new() -> Routes {
        Routes::default()
    }

    /// Serves `methods` at `path` (axum's path syntax: `{id}` for a parameter).
    pub fn route(mut self, path: &str, methods: MethodRouter<ServerState>) -> Routes {
        self.router = self.router.route(path, methods);
        self.paths.push(path.to_owned());
        self
    }

    /// Adds another module's routes.
    pub fn merge(mut self, other: Routes) -> Routes {
        self.router = self.router.merge(other.router);
        self.paths.extend(other.paths);
        self
    }

    pub fn paths(&self) -> &[String] {
        &self.paths
    }

    pub fn into_router(self) -> Router<ServerState> {
        self.router
    }
}
