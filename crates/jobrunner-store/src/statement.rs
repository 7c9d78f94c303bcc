//! The statements both databases share, and [`Backend`], the one trait through which each store
//! runs them.
//!
//! Every shared store method is written once, over [`Backend`]: it builds a [`Statement`] (SQL
//! text both SQLite and PostgreSQL accept, and the values bound to its `$1..$n` in order) and
//! asks the backend to run it. What differs between the two databases stays below that line —
//! the pool, the row type and how a failed statement reads as a [`StoreError`] — in each
//! store's `impl Backend`, side by side in `sqlite.rs` and `postgres.rs`.

use async_trait::async_trait;
use jobrunner_core::NodeId;
use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;
use sqlx::{Arguments, Encode, FromRow, Type};

use crate::StoreError;

/// A value bound to a statement, in the column types the two databases share (see the crate
/// documentation): timestamps and JSON arrive here as text already.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Bind {
    Text(String),
    BigInt(i64),
    NullableText(Option<String>),
    NullableBigInt(Option<i64>),
}

impl From<String> for Bind {
    fn from(value: String) -> Self {
        Self::Text(value)
    }
}

impl From<&str> for Bind {
    fn from(value: &str) -> Self {
        Self::Text(value.to_owned())
    }
}

impl From<i64> for Bind {
    fn from(value: i64) -> Self {
        Self::BigInt(value)
    }
}

impl From<Option<String>> for Bind {
    fn from(value: Option<String>) -> Self {
        Self::NullableText(value)
    }
}

impl From<Option<i64>> for Bind {
    fn from(value: Option<i64>) -> Self {
        Self::NullableBigInt(value)
    }
}

/// A shared statement with its bound values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Statement {
    sql: &'static str,
    binds: Vec<Bind>,
}

impl Statement {
    pub(crate) fn new(sql: &'static str) -> Self {
        Self { sql, binds: Vec::new() }
    }

    /// Binds `value` to the next `$n`.
    pub(crate) fn bind(mut self, value: impl Into<Bind>) -> Self {
        self.binds.push(value.into());
        self
    }

    /// The SQL, and the bound values as one database's arguments. Encoding these four types
    /// cannot fail in either database; should it, it fails like the statement would.
    pub(crate) fn into_parts<A>(self) -> Result<(&'static str, A), sqlx::Error>
    where
        A: Arguments<'static>,
        String: Encode<'static, A::Database> + Type<A::Database>,
        i64: Encode<'static, A::Database> + Type<A::Database>,
        Option<String>: Encode<'static, A::Database>,
        Option<i64>: Encode<'static, A::Database>,
    {
        let mut arguments = A::default();
        for value in self.binds {
            match value {
                Bind::Text(text) => arguments.add(text),
                Bind::BigInt(number) => arguments.add(number),
                Bind::NullableText(text) => arguments.add(text),
                Bind::NullableBigInt(number) => arguments.add(number),
            }
            .map_err(sqlx::Error::Encode)?;
        }
        Ok((self.sql, arguments))
    }
}

/// A row shape both databases decode: the tuples of TEXT and BIGINT columns the shared
/// statements return (a scalar is a 1-tuple).
pub(crate) trait SharedRow:
    for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin
{
}

impl<R> SharedRow for R where R: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin {}

/// A database the shared statements run on: what [`SqliteStore`](crate::SqliteStore) and
/// [`PgStore`](crate::PgStore) each provide, and all the shared store methods need.
///
/// `operation` names what the store was doing (`claim an action key`) in the error of a failed
/// statement.
#[async_trait]
pub(crate) trait Backend: Send + Sync {
    /// The node this store handle serves.
    fn node_id(&self) -> &NodeId;

    /// Runs `statement` and returns the number of rows it changed.
    async fn execute(&self, operation: &'static str, statement: Statement) -> Result<u64, StoreError>;

    /// Runs `statement`, which returns exactly one row.
    async fn fetch_one<R: SharedRow>(
        &self,
        operation: &'static str,
        statement: Statement,
    ) -> Result<R, StoreError>;

    /// Runs `statement`, which returns at most one row.
    async fn fetch_optional<R: SharedRow>(
        &self,
        operation: &'static str,
        statement: Statement,
    ) -> Result<Option<R>, StoreError>;

    /// Runs `statement` and returns every row.
    async fn fetch_all<R: SharedRow>(
        &self,
        operation: &'static str,
        statement: Statement,
    ) -> Result<Vec<R>, StoreError>;
}
