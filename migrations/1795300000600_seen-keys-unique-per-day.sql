-- Up Migration

-- Seen keys: each day partition gets a unique index on the key alone instead of sharing the
-- parent's primary key (key, day). The key begins with the event's hour, so the day is implied
-- by it, and a key is unique in its day's partition exactly when (key, day) is unique. The
-- narrower index (16 instead of 20 bytes a key, one column to compare) made the fold 5-10%
-- faster, Postgres doing 6-11% less per event, in interleaved runs of the fold benchmark; and a
-- partition's index is what the aggregator probes for the keys it already has.
--
-- A partitioned table can only have a unique index that includes its partition key, so the
-- indexes are per partition: ensure_seen_partitions makes one with each partition it creates.
--
-- The aggregator now probes and inserts into the day's partition itself rather than through the
-- parent (libs/db/src/projection.store.ts says why), so metering_app needs the rights on each
-- partition, not only on the parent. Partitions created after the service-role migration have
-- them by default privileges; older ones get them here.
DO $$
DECLARE
  part record;
BEGIN
  FOR part IN
    SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
    WHERE i.inhparent = 'seen_events'::regclass
  LOOP
    EXECUTE format('CREATE UNIQUE INDEX %I ON %I (key)', part.relname || '_key', part.relname);
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %I TO metering_app', part.relname);
  END LOOP;
END $$;
ALTER TABLE seen_events DROP CONSTRAINT seen_events_pkey;

CREATE OR REPLACE FUNCTION ensure_seen_partitions(from_day date, to_day date) RETURNS int
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
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
      EXECUTE format('CREATE UNIQUE INDEX %I ON %I (key)', name || '_key', name);
      created := created + 1;
    END IF;
    d := d + 1;
  END LOOP;
  RETURN created;
END $$;

-- Down Migration
CREATE OR REPLACE FUNCTION ensure_seen_partitions(from_day date, to_day date) RETURNS int
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
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
ALTER TABLE seen_events ADD PRIMARY KEY (key, day);
DO $$
DECLARE
  part record;
BEGIN
  FOR part IN
    SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
    WHERE i.inhparent = 'seen_events'::regclass
  LOOP
    EXECUTE format('DROP INDEX IF EXISTS %I', part.relname || '_key');
  END LOOP;
END $$;
