-- Up Migration

-- One resource's hours (a machine's page, the resources endpoint's look-up of where a resource
-- runs) found through the index instead of every hour of the organization: without it a month
-- of a 10,000-machine organization is ~8 million index entries to filter for one machine's
-- ~1,500 rows. A rebuild's fresh tables copy it (CREATE TABLE ... LIKE ... INCLUDING ALL).
CREATE INDEX usage_resource_hourly_by_resource ON usage_resource_hourly (org, resource, hour);

-- Down Migration
-- After a rebuild the live table's copy of the index has the name Postgres gave it there.
DO $$
DECLARE idx text;
BEGIN
  FOR idx IN SELECT i.indexrelid::regclass::text FROM pg_index i
              WHERE i.indrelid = 'usage_resource_hourly'::regclass AND NOT i.indisprimary
                AND pg_get_indexdef(i.indexrelid) LIKE '%(org, resource, hour)%'
  LOOP
    EXECUTE 'DROP INDEX ' || idx;
  END LOOP;
END $$;
