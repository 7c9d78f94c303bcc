-- The ETag cache becomes what it holds: the snapshots a source keeps (structural summaries
-- with the ETags they were answered under inside them), one JSON document per key. Its etag
-- column only ever held '' (the source keeps its ETags in the snapshot), so the new table has
-- none; every entry moves over with its payload, so the first cycle after the upgrade is
-- answered from 304s like any other restart.
CREATE TABLE source_snapshots (
    cache_key  TEXT PRIMARY KEY,
    snapshot   TEXT NOT NULL
);

INSERT INTO source_snapshots (cache_key, snapshot) SELECT cache_key, payload FROM etags;

DROP TABLE etags;
