//! GitHub's custom scalars, served as strings like GitHub serves them.

use async_graphql::{InputValueError, InputValueResult, Scalar, ScalarType, Value};
use chrono::{DateTime as ChronoDateTime, Utc};

use crate::clock::Timestamp;
use crate::rest::shapes::time;

/// `DateTime`: an ISO-8601 time, e.g. `2026-01-01T00:00:01Z`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DateTime(pub(crate) Timestamp);

#[Scalar(name = "DateTime")]
impl ScalarType for DateTime {
    fn parse(value: Value) -> InputValueResult<Self> {
        let Value::String(text) = &value else { return Err(InputValueError::expected_type(value)) };
        ChronoDateTime::parse_from_rfc3339(text)
            .map(|t| Self(t.with_timezone(&Utc)))
            .map_err(|_| InputValueError::expected_type(value))
    }

    fn to_value(&self) -> Value {
        Value::String(time(self.0))
    }
}

/// `GitObjectID`: a commit SHA.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct GitObjectId(pub(crate) String);

#[Scalar(name = "GitObjectID")]
impl ScalarType for GitObjectId {
    fn parse(value: Value) -> InputValueResult<Self> {
        match value {
            Value::String(sha) => Ok(Self(sha)),
            other => Err(InputValueError::expected_type(other)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.clone())
    }
}

/// `URI`: an absolute URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Uri(pub(crate) String);

#[Scalar(name = "URI")]
impl ScalarType for Uri {
    fn parse(value: Value) -> InputValueResult<Self> {
        match value {
            Value::String(uri) => Ok(Self(uri)),
            other => Err(InputValueError::expected_type(other)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.clone())
    }
}
