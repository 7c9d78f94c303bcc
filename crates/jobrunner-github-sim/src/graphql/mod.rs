//! GraphQL at `POST /graphql`: a real executor (async-graphql) over a modelled subset of
//! GitHub's schema, so any query shape within the subset works, and GitHub's cost formula.

// async-graphql's `#[Object]` requires every resolver to be `async`, even those that only
// read a snapshot.
#![allow(clippy::unused_async)]

pub(crate) mod actor;
pub(crate) mod checks;
pub(crate) mod connection;
pub(crate) mod context;
pub(crate) mod cost;
pub(crate) mod endpoint;
pub(crate) mod enums;
pub(crate) mod merge;
pub(crate) mod mutation;
pub(crate) mod scalars;
pub(crate) mod schema;
pub(crate) mod types;
