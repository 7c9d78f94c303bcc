//! core-status's checks, dashboard and maintenance as scenarios: given this node, the checks
//! report exactly these ids.

mod cleanup;
mod docs;
mod env;
mod fleet;
mod fleet_database;
mod gather;
mod installation;
mod report;
mod runtime;
mod store;
mod support;
mod updates;
