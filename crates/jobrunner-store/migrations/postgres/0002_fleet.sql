-- The fleet: which nodes are alive, and which node polls which repository.
--
-- PostgreSQL only, so these tables use TIMESTAMPTZ: every time here comes from the database
-- clock (now()), never from a node's, and liveness and expiry are compared in SQL against that
-- same clock, so nodes with skewed clocks still agree on who is alive and which lease expired.

-- One row per node id. A node registers at start with a fresh instance token and heartbeats
-- while it runs; it is live while its heartbeat is younger than the TTL the fleet uses. A second
-- process with the same id is refused while the first is live, and may take the id over (with a
-- new token) once it is not; the first then finds its token gone at its next heartbeat.
CREATE TABLE fleet_members (
    node           TEXT        PRIMARY KEY,
    -- Random per registration (gen_random_uuid()), so a process can tell its own registration
    -- from a later one under the same id.
    instance       TEXT        NOT NULL,
    registered_at  TIMESTAMPTZ NOT NULL,
    heartbeat_at   TIMESTAMPTZ NOT NULL,
    CHECK (heartbeat_at >= registered_at)
);

-- One row per leased repository (owner/name): the node that polls it and acts on its PRs until
-- expires_at. A lease past its expiry is free for any live node to take. acquired_at is when
-- the current holder took it (kept when renewed).
CREATE TABLE repo_leases (
    repo         TEXT        PRIMARY KEY,
    holder       TEXT        NOT NULL,
    acquired_at  TIMESTAMPTZ NOT NULL,
    expires_at   TIMESTAMPTZ NOT NULL,
    CHECK (expires_at >= acquired_at)
);

-- A node's leases: renewed, released and counted per holder.
CREATE INDEX repo_leases_holder ON repo_leases (holder);
