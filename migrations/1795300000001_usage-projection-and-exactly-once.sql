-- Up Migration

-- The hourly projection customers read and invoices are built from. Derived from the Kafka
-- log (usage.events.v1), so it has no foreign keys: it must be rebuildable from offset 0 in
-- any order of organizations. quantity is exact (numeric), never a float.
CREATE TABLE usage_hourly (
  org       text        NOT NULL,
  hour      timestamptz NOT NULL,
  sku       text        NOT NULL,
  app       text        NOT NULL,
  region    text        NOT NULL,
  quantity  numeric     NOT NULL CHECK (quantity >= 0),
  events    bigint      NOT NULL CHECK (events > 0),
  PRIMARY KEY (org, hour, sku, app, region)
);

-- Exactly-once bookkeeping, written in the same transaction as the projection rows.
--
-- seen_events: every (source, id) ever folded, so a re-sent event is counted once. Kept per
-- day of the event's time: the collector refuses events older than 35 days, so a re-send can
-- only land in the last 36 days' partitions, and older ones are dropped whole.
CREATE TABLE seen_events (
  day     date NOT NULL,
  source  text NOT NULL,
  id      text NOT NULL,
  PRIMARY KEY (source, id, day)
) PARTITION BY RANGE (day);

-- consumer_offsets: the next offset to fold per partition. This, not Kafka's committed offset,
-- is where a consumer resumes; Kafka's is only a hint for tooling.
CREATE TABLE consumer_offsets (
  consumer_group  text   NOT NULL,
  topic           text   NOT NULL,
  partition       int    NOT NULL CHECK (partition >= 0),
  next_offset     bigint NOT NULL CHECK (next_offset >= 0),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (consumer_group, topic, partition)
);

-- Creates the daily partitions of seen_events that are missing in [from_day, to_day].
-- Serialised by an advisory lock so that two aggregators creating the same day do not race.
CREATE FUNCTION ensure_seen_partitions(from_day date, to_day date) RETURNS int
LANGUAGE plpgsql AS $$
DECLARE
  d date;
  created int := 0;
  name text;
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('seen_events partitions'));
  d := from_day;
  WHILE d <= to_day LOOP
    name := 'seen_events_' || to_char(d, 'YYYYMMDD');
    IF to_regclass(name) IS NULL THEN
      EXECUTE format('CREATE TABLE %I PARTITION OF seen_events FOR VALUES FROM (%L) TO (%L)', name, d, d + 1);
      created := created + 1;
    END IF;
    d := d + 1;
  END LOOP;
  RETURN created;
END $$;

-- Drops the daily partitions of seen_events wholly before before_day; returns how many.
CREATE FUNCTION drop_seen_partitions(before_day date) RETURNS int
LANGUAGE plpgsql AS $$
DECLARE
  part record;
  dropped int := 0;
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('seen_events partitions'));
  FOR part IN
    SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
    WHERE i.inhparent = 'seen_events'::regclass AND c.relname ~ '^seen_events_\d{8}$'
  LOOP
    IF to_date(substr(part.relname, 13), 'YYYYMMDD') < before_day THEN
      EXECUTE format('DROP TABLE %I', part.relname);
      dropped := dropped + 1;
    END IF;
  END LOOP;
  RETURN dropped;
END $$;

-- Down Migration
DROP FUNCTION drop_seen_partitions(date);
DROP FUNCTION ensure_seen_partitions(date, date);
DROP TABLE consumer_offsets;
DROP TABLE seen_events;
DROP TABLE usage_hourly;
