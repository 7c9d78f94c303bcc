//! Why a change a client asked for through the API was refused.

use thiserror::Error;

/// A refused API change; the REST and GraphQL layers turn it into GitHub's answers. GraphQL
/// answers every refusal but `NotFound` with `type: UNPROCESSABLE` and the message.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub(crate) enum ApiError {
    /// The repository, issue, pull request or thread does not exist (REST 404, GraphQL
    /// `NOT_FOUND`).
    #[error("Not Found")]
    NotFound,
    /// The change is not possible in the object's state (REST 422, GraphQL `UNPROCESSABLE`).
    #[error("{0}")]
    Unprocessable(String),
    /// The pull request cannot be merged now (REST 405 `Method Not Allowed`).
    #[error("{0}")]
    NotMergeable(String),
    /// The head is not the one the client pinned (REST 409 `Conflict` on a merge).
    #[error("{0}")]
    HeadMoved(String),
}
