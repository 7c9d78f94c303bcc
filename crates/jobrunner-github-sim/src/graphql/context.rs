//! What a resolver reads from the request's context (the shared simulator and the request's
//! [`Scope`]) and how a field fails the way GitHub's do. Every object and mutation needs these,
//! so they sit below all of them.

use std::sync::Arc;

use async_graphql::{Context, Error, ErrorExtensions, Result};

use crate::accounting::RateSnapshot;
use crate::shared::Shared;

/// What one GraphQL request knows beyond the state: its cost and budget, and faults.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Scope {
    pub(crate) rate: RateSnapshot,
    pub(crate) cost: u32,
    pub(crate) node_count: u64,
    pub(crate) mergeable_null: bool,
}

pub(crate) fn shared<'a>(ctx: &Context<'a>) -> &'a Shared {
    ctx.data_unchecked::<Arc<Shared>>()
}

pub(crate) fn scope<'a>(ctx: &Context<'a>) -> &'a Scope {
    ctx.data_unchecked::<Scope>()
}

/// GitHub's answer to a field that fails: the field is `null` and the error is listed with
/// its path, while the rest of the document still answers (async-graphql would otherwise
/// null the whole `data`).
pub(crate) fn null_on_error<T>(ctx: &Context<'_>, result: Result<Option<T>>) -> Option<T> {
    match result {
        Ok(value) => value,
        Err(error) => {
            ctx.add_error(ctx.set_error_path(error.into_server_error(ctx.item.pos)));
            None
        }
    }
}

/// A GitHub-style error with a top-level `type` (moved there from `extensions` on the way out).
pub(crate) fn typed_error(kind: &'static str, message: String) -> Error {
    Error::new(message).extend_with(|_, e| e.set("type", kind))
}
