-- Up Migration

-- Seen ids by key: 16 bytes, the event's hour followed by a 96-bit hash of (source, id)
-- (libs/metering/src/event-key.ts says why, and why a collision is negligible), instead of two
-- text columns. The index is a fraction of the size, compares with memcmp, and grows at its end
-- like the log; recording a batch's ids is most of the aggregator's work. An event is now a
-- duplicate of another with the same (source, id) and UTC hour (a re-send carries the same
-- time). Still kept in daily partitions of the event's day, dropped whole after the window.
--
-- The aggregator computes the key, so the stored texts cannot be re-keyed here. Instead the
-- derived state starts over: seen ids, projections and stored positions are emptied, and the
-- aggregator replays usage.events.v1 from offset 0 (Kafka is the event store), which rebuilds
-- them exactly. Until it has caught up the projections are incomplete; a period close waits
-- for it (its barrier reads the positions emptied here).
DROP TABLE seen_events;
CREATE TABLE seen_events (
  day  date NOT NULL,
  key  uuid NOT NULL,
  PRIMARY KEY (key, day)
) PARTITION BY RANGE (day);

TRUNCATE usage_hourly;
DELETE FROM consumer_offsets;
DO $$
BEGIN
  -- The monthly rollup of the invoicing migration, when that ran first.
  IF to_regclass('usage_monthly') IS NOT NULL THEN
    TRUNCATE usage_monthly;
  END IF;
END $$;

-- The drill-down projection: usage per resource (machine, volume, IP) and hour. Separate from
-- usage_hourly so that a query that does not group by resource never reads per-resource rows.
CREATE TABLE usage_resource_hourly (
  org       text        NOT NULL,
  hour      timestamptz NOT NULL,
  sku       text        NOT NULL,
  app       text        NOT NULL,
  region    text        NOT NULL,
  resource  text        NOT NULL,
  quantity  numeric     NOT NULL CHECK (quantity >= 0),
  events    bigint      NOT NULL CHECK (events > 0),
  PRIMARY KEY (org, hour, sku, app, region, resource)
) WITH (fillfactor = 80);

-- Projection rows are updated in place batch after batch; room on each page lets Postgres keep
-- the new version on the same page without touching the index (a HOT update).
ALTER TABLE usage_hourly SET (fillfactor = 80);

-- Down Migration
DROP TABLE usage_resource_hourly;
ALTER TABLE usage_hourly RESET (fillfactor);
DROP TABLE seen_events;
CREATE TABLE seen_events (
  day     date NOT NULL,
  source  text NOT NULL,
  id      text NOT NULL,
  PRIMARY KEY (source, id, day)
) PARTITION BY RANGE (day);
TRUNCATE usage_hourly;
DELETE FROM consumer_offsets;
DO $$
BEGIN
  IF to_regclass('usage_monthly') IS NOT NULL THEN
    TRUNCATE usage_monthly;
  END IF;
END $$;
