-- The state of a core-ide fleet in PostgreSQL: the tables of ../0001_initial.sql (SQLite),
-- statement for statement, so both stores keep the same rows with the same meaning and run the
-- same queries (a unit test in src/migrations.rs compares the two files without comments).
--
-- Written in the SQL that SQLite and PostgreSQL share (TEXT, BIGINT, composite primary keys,
-- CHECK, partial indexes). Timestamps are TEXT in fixed-width RFC 3339 UTC with microseconds
-- (2026-11-21T09:05:00.000000Z): text order is time order in both databases, and one encoder
-- serves both. JSON is TEXT for the same reason.

-- The nodes using this database. A SQLite store holds exactly one (checked at open); a fleet's
-- PostgreSQL database holds one row per node.
CREATE TABLE nodes (
    node        TEXT PRIMARY KEY,
    created_at  TEXT NOT NULL
);

-- The idempotency ledger: one row per action key. A row is inserted when a node claims the key
-- and deleted only when a claimed, unconfirmed key is released for a retry; a confirmed row
-- (done or failed) stays forever, so its action is never performed again.
CREATE TABLE ledger (
    repo          TEXT   NOT NULL,
    pr            BIGINT NOT NULL,
    action        TEXT   NOT NULL,
    head_sha      TEXT   NOT NULL,
    -- '' when the action answers no review: NULL would make every such key distinct (and
    -- PostgreSQL refuses NULL in a primary key).
    review_at     TEXT   NOT NULL,
    node          TEXT   NOT NULL,
    claimed_at    TEXT   NOT NULL,
    status        TEXT   NOT NULL CHECK (status IN ('claimed', 'done', 'failed')),
    -- The FailureClass as JSON, present exactly when status is 'failed'.
    failure       TEXT,
    confirmed_at  TEXT,
    PRIMARY KEY (repo, pr, action, head_sha, review_at),
    CHECK ((status = 'failed') = (failure IS NOT NULL)),
    CHECK ((status = 'claimed') = (confirmed_at IS NULL))
);

-- Settling after a crash lists a node's claimed, unconfirmed keys.
CREATE INDEX ledger_unconfirmed ON ledger (node, claimed_at) WHERE status = 'claimed';

-- Conditional-request cache: the ETag of a response and the structural summary the adapter
-- derived from it (never a response body).
CREATE TABLE etags (
    cache_key  TEXT PRIMARY KEY,
    etag       TEXT NOT NULL,
    payload    TEXT NOT NULL
);

-- The structural state last seen per PR, as the adapter chooses to summarize it.
CREATE TABLE pr_states (
    repo   TEXT   NOT NULL,
    pr     BIGINT NOT NULL,
    state  TEXT   NOT NULL,
    PRIMARY KEY (repo, pr)
);

-- Fix commands sent per PR since its last progress (another action performed on it), and the
-- head SHA and time of the latest one. No row: no command since progress.
CREATE TABLE fix_commands (
    repo              TEXT   NOT NULL,
    pr                BIGINT NOT NULL,
    head_sha          TEXT   NOT NULL,
    without_progress  BIGINT NOT NULL CHECK (without_progress >= 1),
    last_sent_at      TEXT   NOT NULL,
    PRIMARY KEY (repo, pr)
);

-- One row per poll cycle, numbered per node. The end columns stay NULL while the cycle runs,
-- and forever when the node died during it.
CREATE TABLE cycles (
    node             TEXT   NOT NULL,
    number           BIGINT NOT NULL CHECK (number >= 1),
    started_at       TEXT   NOT NULL,
    ended_at         TEXT,
    outcome          TEXT   CHECK (outcome IN ('ok', 'failed', 'interrupted')),
    -- The FailureClass as JSON when outcome is 'failed'.
    failure          TEXT,
    actions          BIGINT,
    points_spent     BIGINT,
    rate_limit_left  BIGINT,
    PRIMARY KEY (node, number)
);
