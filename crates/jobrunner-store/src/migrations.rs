//! The schema migrations, embedded in the binary: one sequence per database.
//!
//! Embedded with `include_str!` rather than `sqlx::migrate!()` so sqlx's `macros` feature (and
//! its proc-macro build) stays out of the workspace; the checksums sqlx records are the same.
//! Migrations are append-only: an applied file is never edited, because sqlx refuses a
//! database whose recorded checksum no longer matches.
//!
//! SQLite applies `migrations/*.sql`; PostgreSQL applies `migrations/postgres/*.sql`. The two
//! sequences are numbered independently, so either can grow without the other. PostgreSQL's
//! first migration is the SQLite schema statement for statement (tested below), so both stores
//! keep the same tables with the same meaning; the fleet's tables (membership, repo leases)
//! come after it and exist in PostgreSQL only.

use std::borrow::Cow;
use std::future::Future;
use std::pin::Pin;

use sqlx::error::BoxDynError;
use sqlx::migrate::{Migration, MigrationSource, MigrationType, Migrator};

/// `(version, description, sql)` of every migration, in order.
type Sequence = &'static [(i64, &'static str, &'static str)];

/// The SQLite migrations.
const SQLITE: Sequence = &[
    (1, "initial", include_str!("../migrations/0001_initial.sql")),
    (2, "escalation", include_str!("../migrations/0002_escalation.sql")),
    (3, "source snapshots", include_str!("../migrations/0003_source_snapshots.sql")),
];

/// The PostgreSQL migrations.
const POSTGRES: Sequence = &[
    (1, "initial", include_str!("../migrations/postgres/0001_initial.sql")),
    (2, "fleet", include_str!("../migrations/postgres/0002_fleet.sql")),
    (3, "member host and skew", include_str!("../migrations/postgres/0003_member_host_and_skew.sql")),
    (4, "escalation", include_str!("../migrations/postgres/0004_escalation.sql")),
    (5, "source snapshots", include_str!("../migrations/postgres/0005_source_snapshots.sql")),
];

/// The highest SQLite schema version this binary knows. A database above it was written by a
/// newer core-ide and is refused, never downgraded.
pub const SCHEMA_VERSION: i64 = SQLITE[SQLITE.len() - 1].0;

/// The highest PostgreSQL schema version this binary knows; a fleet database above it is
/// refused the same way.
pub const POSTGRES_SCHEMA_VERSION: i64 = POSTGRES[POSTGRES.len() - 1].0;

#[derive(Debug)]
struct Embedded(Sequence);

impl MigrationSource<'static> for Embedded {
    fn resolve(self) -> Pin<Box<dyn Future<Output = Result<Vec<Migration>, BoxDynError>> + Send>> {
        let migrations = self
            .0
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

/// The tables a SQLite store at schema `version` has: every `CREATE TABLE` of its migrations
/// not dropped by a later one. A store missing one of them is damaged (a table dropped by
/// hand, a partial restore).
pub(crate) fn sqlite_tables(version: i64) -> Vec<&'static str> {
    let mut tables = Vec::new();
    for (_, _, sql) in SQLITE.iter().filter(|(v, _, _)| *v <= version) {
        tables.extend(tables_after(sql, "CREATE TABLE "));
        let dropped = tables_after(sql, "DROP TABLE ");
        tables.retain(|table| !dropped.contains(table));
    }
    tables
}

/// The table named after each `statement` (`CREATE TABLE `, `DROP TABLE `) in `sql`.
fn tables_after(sql: &'static str, statement: &str) -> Vec<&'static str> {
    sql.split(statement)
        .skip(1)
        .filter_map(|rest| rest.split(|c: char| c.is_whitespace() || c == '(' || c == ';').next())
        .filter(|name| !name.is_empty())
        .collect()
}

/// The migrator over the embedded SQLite migrations.
pub(crate) async fn migrator() -> Migrator {
    Migrator::new(Embedded(SQLITE)).await.expect("embedded migrations resolve without IO")
}

/// The migrator over the embedded PostgreSQL migrations. It holds an advisory lock while it
/// runs, so nodes starting together against a fresh database migrate it once.
pub(crate) async fn postgres_migrator() -> Migrator {
    Migrator::new(Embedded(POSTGRES)).await.expect("embedded migrations resolve without IO")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tables_of_the_first_schema_are_read_from_its_migration() {
        assert_eq!(sqlite_tables(1), ["nodes", "ledger", "etags", "pr_states", "fix_commands", "cycles"]);
        assert!(sqlite_tables(0).is_empty());
    }

    #[test]
    fn a_table_a_later_migration_drops_is_no_longer_expected() {
        let tables = sqlite_tables(3);
        assert!(!tables.contains(&"etags"), "{tables:?}");
        assert_eq!(tables.iter().filter(|table| **table == "source_snapshots").count(), 1, "{tables:?}");
    }

    #[test]
    fn later_migrations_are_the_same_statements_in_both_databases() {
        // Escalation and the snapshot cache change the tables the two stores share.
        for (sqlite, postgres) in [(1, 3), (2, 4)] {
            assert_eq!(statements(SQLITE[sqlite].2), statements(POSTGRES[postgres].2));
        }
    }

    #[test]
    fn versions_increase_from_one_without_gaps() {
        for (sequence, last) in [(SQLITE, SCHEMA_VERSION), (POSTGRES, POSTGRES_SCHEMA_VERSION)] {
            let versions: Vec<i64> = sequence.iter().map(|m| m.0).collect();
            let expected: Vec<i64> = (1..=last).collect();
            assert_eq!(versions, expected);
        }
    }

    #[test]
    fn migration_files_avoid_sqlite_only_sql() {
        // Shared tables are written in the SQL both databases accept.
        for (version, _, sql) in SQLITE.iter().chain(POSTGRES) {
            let upper = sql.to_uppercase();
            for word in
                ["AUTOINCREMENT", "WITHOUT ROWID", "STRICT", "PRAGMA", "INTEGER PRIMARY KEY", "DATETIME"]
            {
                assert!(!upper.contains(word), "migration {version} uses SQLite-only {word}");
            }
        }
    }

    /// The statements of a migration, without comments or layout.
    fn statements(sql: &str) -> Vec<String> {
        let code: Vec<&str> =
            sql.lines().map(|line| line.split("--").next().unwrap_or_default().trim()).collect();
        code.join(" ")
            .split(';')
            .map(|statement| statement.split_whitespace().collect::<Vec<_>>().join(" "))
            .filter(|statement| !statement.is_empty())
            .collect()
    }

    #[test]
    fn postgres_starts_from_the_sqlite_schema_statement_for_statement() {
        let sqlite = statements(SQLITE[0].2);
        assert_eq!(sqlite.len(), 7, "{sqlite:#?}");
        assert_eq!(statements(POSTGRES[0].2), sqlite);
    }
}
