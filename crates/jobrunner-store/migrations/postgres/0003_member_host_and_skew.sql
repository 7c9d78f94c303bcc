-- What core-status needs to tell a fleet's health from its membership rows.
--
-- host: the machine a registration came from, so a node id configured on two machines (one of
-- them refused at every start) can be told from a restart on the same machine.
-- clock_skew_ms: the node's clock minus the database's, measured at each heartbeat (NULL until
-- the first). Coordination never uses node clocks; the skew shows in the node's logs,
-- journal and cycle timestamps, so it is reported when it passes a bound.
ALTER TABLE fleet_members ADD COLUMN host TEXT NOT NULL DEFAULT '';
ALTER TABLE fleet_members ADD COLUMN clock_skew_ms BIGINT;
