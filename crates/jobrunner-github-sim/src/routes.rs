//! The route table: which handler answers which `METHOD /route/template`. The templates are
//! the keys of [`Counters::per_endpoint`](crate::Counters::per_endpoint) (a `{*branch}`
//! wildcard counts as `{branch}`).

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::middleware;
use axum::routing::{get, post, put};
use axum::{Extension, Router};

use crate::gate::gate;
use crate::graphql::endpoint as graphql;
use crate::graphql::schema::build_schema;
use crate::reply::not_found_handler;
use crate::repo_access;
use crate::rest::{branches, commits, issues, merge, pulls, rate_limit, releases, repos};
use crate::shared::Shared;

/// Every route, behind the gate; `/repositories/{id}/…` paths are first rewritten to the
/// `/repos/{owner}/{repo}/…` route that serves them, as GitHub serves both.
pub(crate) fn router(shared: Arc<Shared>) -> Router {
    let routes = routes(Arc::clone(&shared));
    // github.com's downloads and the object store are not API calls: no gate, no budget.
    let downloads = Router::new()
        .route("/{owner}/{repo}/releases/download/{tag}/{name}", get(releases::download))
        .route("/_objects/release-assets/{id}", get(releases::object))
        .with_state(Arc::clone(&shared));
    downloads.fallback_service(routes).layer(middleware::map_request_with_state(shared, by_id))
}

async fn by_id(State(shared): State<Arc<Shared>>, mut request: Request) -> Request {
    let rewritten = repo_access::by_id_path(&shared.state(), request.uri());
    if let Some(uri) = rewritten {
        *request.uri_mut() = uri;
    }
    request
}

fn routes(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/repos/{owner}/{repo}", get(repos::get_one))
        .route("/repos/{owner}/{repo}/pulls", get(pulls::list))
        .route("/repos/{owner}/{repo}/pulls/{number}", get(pulls::get_one))
        .route("/repos/{owner}/{repo}/pulls/{number}/merge", put(merge::merge))
        .route("/repos/{owner}/{repo}/pulls/{number}/update-branch", put(merge::update_branch))
        .route("/repos/{owner}/{repo}/issues", get(issues::list))
        .route("/repos/{owner}/{repo}/issues/{number}", get(issues::get_one).patch(issues::edit))
        .route(
            "/repos/{owner}/{repo}/issues/{number}/comments",
            get(issues::list_comments).post(issues::comment),
        )
        .route("/repos/{owner}/{repo}/issues/{number}/labels", post(issues::add_labels))
        .route("/repos/{owner}/{repo}/branches/{*branch}", get(branches::get_one))
        .route("/repos/{owner}/{repo}/commits/{sha}/check-runs", get(commits::check_runs))
        .route("/repos/{owner}/{repo}/commits/{sha}/status", get(commits::status))
        .route("/repos/{owner}/{repo}/releases", get(releases::list))
        .route("/rate_limit", get(rate_limit::get))
        // Not in `Shared`, which the resolvers read: built once per simulator here instead.
        .route("/graphql", post(graphql::serve).layer(Extension(build_schema())))
        .fallback(not_found_handler)
        .layer(middleware::from_fn_with_state(Arc::clone(&shared), gate))
        .with_state(shared)
}
