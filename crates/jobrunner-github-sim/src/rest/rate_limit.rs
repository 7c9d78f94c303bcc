//! `GET /rate_limit`: the caller's budgets. Free, like GitHub's.

use std::sync::Arc;

use axum::Extension;
use axum::extract::State;
use axum::response::Response;
use http::StatusCode;
use serde_json::{Value, json};

use crate::accounting::{RateSnapshot, Resource};
use crate::gate::RequestCtx;
use crate::reply;
use crate::shared::Shared;

/// Both primary budgets of the caller's token (and a fixed search budget clients expect).
pub(crate) async fn get(
    State(shared): State<Arc<Shared>>,
    Extension(ctx): Extension<RequestCtx>,
) -> Response {
    let limits = *shared.state().limits();
    let (core, graphql) = {
        let mut ledger = shared.ledger();
        let core = ledger.rate(Some(&ctx.token), Resource::Core, &limits);
        (core, ledger.rate(Some(&ctx.token), Resource::Graphql, &limits))
    };
    let search =
        json!({ "limit": 30, "used": 0, "remaining": 30, "reset": core.reset, "resource": "search" });
    let value = json!({
        "resources": { "core": rate(&core), "graphql": rate(&graphql), "search": search },
        "rate": rate(&core),
    });
    reply::json_status(StatusCode::OK, &value)
}

fn rate(snapshot: &RateSnapshot) -> Value {
    json!({
        "limit": snapshot.limit,
        "used": snapshot.used,
        "remaining": snapshot.remaining,
        "reset": snapshot.reset,
        "resource": snapshot.resource.as_str(),
    })
}
