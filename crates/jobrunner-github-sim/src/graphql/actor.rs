//! `Actor` and `User`: who authored, enabled or queued something, and the token's `viewer`.
//! Every simulated login is a `User` (GitHub Apps would be `Bot`s; not modelled).

use async_graphql::{ID, Interface, SimpleObject};

use crate::ids;

/// `User`.
#[derive(SimpleObject, Debug, Clone)]
#[graphql(name = "User")]
pub(crate) struct User {
    id: ID,
    login: String,
}

impl User {
    pub(crate) fn new(login: &str) -> Self {
        Self { id: ids::object_id("U", login_key(login)).into(), login: login.to_owned() }
    }
}

/// A stable number for a login, for its node id.
fn login_key(login: &str) -> u64 {
    login.bytes().fold(7u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b))) % 100_000_000
}

/// `Actor`.
#[derive(Interface, Debug, Clone)]
#[graphql(name = "Actor", field(name = "login", ty = "&String"))]
pub(crate) enum Actor {
    User(User),
}

impl Actor {
    pub(crate) fn user(login: &str) -> Self {
        Self::User(User::new(login))
    }
}
