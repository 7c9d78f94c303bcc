//! `POST /graphql`: score the document, apply the secondary and primary limits, charge, run it
//! on the executor, and shape errors like GitHub (`type` at the top level of each error).

use std::sync::Arc;

use async_graphql::parser::parse_query;
use async_graphql::{Request, Variables};
use axum::Extension;
use axum::body::Bytes;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::context::Scope;
use super::cost::{self, QueryCost};
use super::schema::SimSchema;
use crate::accounting::{Resource, SecondaryCost};
use crate::gate::RequestCtx;
use crate::reply::{self, Refusal};
use crate::shared::Shared;

/// The body GitHub's endpoint accepts.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct GraphqlBody {
    query: Option<String>,
    #[serde(default)]
    variables: Option<Map<String, Value>>,
    operation_name: Option<String>,
}

/// The handler.
pub(crate) async fn serve(
    State(shared): State<Arc<Shared>>,
    Extension(schema): Extension<SimSchema>,
    Extension(ctx): Extension<RequestCtx>,
    body: Bytes,
) -> Response {
    let Ok(body) = serde_json::from_slice::<GraphqlBody>(&body) else { return reply::bad_json() };
    let Some(query) = body.query else {
        return reply::graphql_errors(
            &json!({ "message": "A query attribute must be specified and must be a string." }),
        );
    };
    let variables = body.variables.unwrap_or_default();
    // A document that does not parse costs the minimum; the executor reports the parse error.
    let scored = match parse_query(&query) {
        Ok(doc) => cost::analyze(&doc, body.operation_name.as_deref(), &variables),
        Err(_) => Ok(QueryCost { cost: 1, node_count: 0, is_mutation: false }),
    };
    let scored = match scored {
        Ok(scored) => scored,
        Err(refusal) => {
            return reply::graphql_errors(&json!({ "type": refusal.kind(), "message": refusal.to_string() }));
        }
    };
    let scope = match admit(&shared, &ctx, scored) {
        Ok(scope) => scope,
        Err(refusal) => return refusal.into_response(),
    };
    let mut request = Request::new(query).variables(Variables::from_json(Value::Object(variables)));
    if let Some(name) = body.operation_name {
        request = request.operation_name(name);
    }
    let response = schema.execute(request.data(Arc::clone(&shared)).data(scope)).await;
    let mut value = serde_json::to_value(&response).unwrap_or_else(|_| json!({}));
    hoist_error_types(&mut value);
    reply::json_status(StatusCode::OK, &value)
}

/// Applies the secondary limits and the primary budget, and charges the query's cost.
fn admit(shared: &Shared, ctx: &RequestCtx, scored: QueryCost) -> Result<Scope, Refusal> {
    let limits = *shared.state().limits();
    let mut ledger = shared.ledger();
    let secondary = SecondaryCost {
        resource: Resource::Graphql,
        points: if scored.is_mutation { 5 } else { 1 },
        content_creating: scored.is_mutation,
    };
    if let Err(wait) = ledger.admit_secondary(&ctx.token, secondary, &limits) {
        return Err(Refusal::Secondary(StatusCode::FORBIDDEN, wait));
    }
    let token = Some(ctx.token.as_str());
    if ledger.rate(token, Resource::Graphql, &limits).remaining < scored.cost {
        ledger.counters.primary_rejections += 1;
        return Err(Refusal::GraphqlRateLimited);
    }
    ledger.charge(token, Resource::Graphql, scored.cost, scored.is_mutation);
    let rate = ledger.rate(token, Resource::Graphql, &limits);
    Ok(Scope { rate, cost: scored.cost, node_count: scored.node_count, mergeable_null: ctx.mergeable_null })
}

/// Moves each error's `extensions.type` to a top-level `type`, where GitHub puts it.
fn hoist_error_types(response: &mut Value) {
    let Some(errors) = response.get_mut("errors").and_then(Value::as_array_mut) else { return };
    for error in errors.iter_mut().filter_map(Value::as_object_mut) {
        let kind =
            error.get_mut("extensions").and_then(Value::as_object_mut).and_then(|ext| ext.remove("type"));
        if error.get("extensions").and_then(Value::as_object).is_some_and(Map::is_empty) {
            error.remove("extensions");
        }
        if let Some(kind) = kind {
            error.insert("type".to_owned(), kind);
        }
    }
}
