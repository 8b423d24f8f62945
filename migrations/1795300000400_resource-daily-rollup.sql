-- Up Migration

-- Per-resource usage per UTC day: what a question about resources over days (the dashboard's
-- top resources of a month) sums instead of every hour, 24 times fewer rows: a month of
-- 10,000 machines is ~370,000 rows here against ~8 million in usage_resource_hourly.
--
-- A cache kept by the API, not a projection: a day is (re)built from usage_resource_hourly
-- when its fingerprint (events and quantity of the day in usage_hourly, which the aggregator
-- writes in the same transaction, and the identity of the per-resource table, which a rebuild
-- swaps) differs from the one it was built at, so an answer never comes from a stale day.
-- Unlogged: after a crash Postgres empties both tables together, and the days are built again.
CREATE UNLOGGED TABLE usage_resource_daily (
  org       text    NOT NULL,
  day       date    NOT NULL,
  sku       text    NOT NULL,
  app       text    NOT NULL,
  region    text    NOT NULL,
  resource  text    NOT NULL,
  quantity  numeric NOT NULL,
  events    bigint  NOT NULL
);
CREATE INDEX usage_resource_daily_org_day ON usage_resource_daily (org, day);

CREATE UNLOGGED TABLE usage_resource_daily_built (
  org          text        NOT NULL,
  day          date        NOT NULL,
  fingerprint  text        NOT NULL,
  built_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org, day)
);

-- Down Migration
DROP TABLE usage_resource_daily_built;
DROP TABLE usage_resource_daily;
