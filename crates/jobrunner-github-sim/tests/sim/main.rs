//! Scenario tests of the GitHub simulator over real HTTP: one binary, so the suite links once.

mod accounting;
mod auth;
mod conditional;
mod faults;
mod graphql;
mod marker;
mod merge_state;
mod merge_step;
mod mergeability;
mod mutations;
mod no_ci;
mod openapi;
mod pagination;
mod repo_access;
mod rest;
mod schema_compat;
mod secondary;
mod sub_issues;
mod support;
mod workload;
