//! The schema migrations, embedded in the binary.
//!
//! Embedded with `include_str!` rather than `sqlx::migrate!()` so sqlx's `macros` feature (and
//! its proc-macro build) stays out of the workspace; the checksums sqlx records are the same.
//! Migrations are append-only: an applied file is never edited, because sqlx refuses a
//! database whose recorded checksum no longer matches.

use std::borrow::Cow;
use std::future::Future;
use std::pin::Pin;

use sqlx::error::BoxDynError;
use sqlx::migrate::{Migration, MigrationSource, MigrationType, Migrator};

/// `(version, description, sql)` of every migration, in order.
const MIGRATIONS: &[(i64, &str, &str)] = &[(1, "initial", include_str!("../migrations/0001_initial.sql"))];

/// The highest schema version this binary knows. A database above it was written by a newer
/// core-ide and is refused, never downgraded.
pub const SCHEMA_VERSION: i64 = MIGRATIONS[MIGRATIONS.len() - 1].0;

#[derive(Debug)]
struct Embedded;

impl MigrationSource<'static> for Embedded {
    fn resolve(self) -> Pin<Box<dyn Future<Output = Result<Vec<Migration>, BoxDynError>> + Send>> {
        let migrations = MIGRATIONS
            .iter()
            .map(|&(version, description, sql)| {
                Migration::new(
                    version,
                    Cow::Borrowed(description),
                    MigrationType::Simple,
                    Cow::Borrowed(sql),
                    false,
                )
            })
            .collect();
        Box::pin(std::future::ready(Ok(migrations)))
    }
}

/// The migrator over the embedded migrations.
pub(crate) async fn migrator() -> Migrator {
    Migrator::new(Embedded).await.expect("embedded migrations resolve without IO")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_increase_from_one_without_gaps() {
        let versions: Vec<i64> = MIGRATIONS.iter().map(|m| m.0).collect();
        let expected: Vec<i64> = (1..=SCHEMA_VERSION).collect();
        assert_eq!(versions, expected);
    }

    #[test]
    fn migration_files_avoid_sqlite_only_sql() {
        // The PostgreSQL store applies the same files.
        for (version, _, sql) in MIGRATIONS {
            let upper = sql.to_uppercase();
            for word in
                ["AUTOINCREMENT", "WITHOUT ROWID", "STRICT", "PRAGMA", "INTEGER PRIMARY KEY", "DATETIME"]
            {
                assert!(!upper.contains(word), "migration {version} uses SQLite-only {word}");
            }
        }
    }
}
