-- Escalation: what a PR waits on and since when, and the fix commands sent on its head.

-- Commands sent on the head in head_sha (reset to 1 by a command on another head), and the
-- rule of the latest one: a command re-sent on a silent head is the second on it.
ALTER TABLE fix_commands ADD COLUMN on_head BIGINT NOT NULL DEFAULT 1;
ALTER TABLE fix_commands ADD COLUMN rule TEXT NOT NULL DEFAULT '';

-- One row per waiting PR: who it waits on (agent, checks, person, github), on which head,
-- since when, and the decision's structural reason. Replaced when the wait or the head
-- changes, deleted when the PR stops waiting.
CREATE TABLE pr_waits (
    repo        TEXT   NOT NULL,
    pr          BIGINT NOT NULL,
    waiting_on  TEXT   NOT NULL CHECK (waiting_on IN ('agent', 'checks', 'person', 'github')),
    head_sha    TEXT   NOT NULL,
    since       TEXT   NOT NULL,
    reason      TEXT   NOT NULL,
    PRIMARY KEY (repo, pr)
);
