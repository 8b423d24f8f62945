-- Up Migration

-- The services connect as metering_app, a role that reads and writes rows and nothing more: it
-- cannot alter, drop or truncate a table, disable a trigger, set session_replication_role (the
-- ways an owner or superuser gets past the append-only triggers of invoices and the audit
-- log), create tables, or read the migrations' bookkeeping. Migrations and the other
-- owner-only tools (`npm run stack`, `aggregator rebuild`, `billing verify`) connect as the
-- owner, DATABASE_OWNER_URL (README, "Database roles").
--
-- A role belongs to the whole cluster, not to this database: it is created here when missing
-- and otherwise left as it is. No password: local development trusts connections from
-- 127.0.0.1. In production the DBA sets one out of band (ALTER ROLE metering_app PASSWORD ...,
-- or a secret manager's rotation), never in a migration, and DATABASE_URL carries it.
--
-- Test runs migrate many databases of one server at once, so two of these may race to create
-- the role: the loser sees duplicate_object, or unique_violation when it got past the check
-- before the winner committed.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'metering_app') THEN
    CREATE ROLE metering_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS NOREPLICATION;
  END IF;
EXCEPTION
  WHEN duplicate_object OR unique_violation THEN
    NULL;
END $$;

DO $$
BEGIN
  EXECUTE format('GRANT CONNECT ON DATABASE %I TO metering_app', current_database());
END $$;

-- Postgres 15 no longer lets PUBLIC create in schema public; a database upgraded from an older
-- server may still, and then metering_app could create tables. Made explicit here.
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO metering_app;

-- Rows of every table the services use. Not pgmigrations (nor its sequence): the services
-- have no business with it. Partitions of seen_events are reached through the parent, which
-- is all a query of the parent needs.
GRANT SELECT, INSERT, UPDATE, DELETE ON
  organizations, hosts, memberships, tokens, audit_log,
  usage_hourly, usage_resource_hourly, usage_monthly, seen_events, consumer_offsets,
  usage_resource_daily, usage_resource_daily_built,
  prices, period_closes, document_counter, invoices, invoice_lines, credit_notes, credit_note_lines, outbox
  TO metering_app;
GRANT USAGE, SELECT ON SEQUENCE outbox_id_seq, audit_log_id_seq TO metering_app;

-- Finalized documents and the audit log are append-only: their triggers refuse UPDATE, DELETE
-- and TRUNCATE, and no service changes a row of them (a void adds a credit note; an invoice
-- reads void because one exists). Without the privileges the database refuses such a change
-- before a trigger is even asked. Prices change by adding a row, never by updating or deleting
-- one. Tables the services do update keep UPDATE: document_counter (the gapless number), outbox
-- (sent_at), hosts and tokens (revoked_at), memberships (role; deleted on removal), the
-- projections, consumer_offsets and the daily rollup cache.
REVOKE UPDATE, DELETE ON
  invoices, invoice_lines, credit_notes, credit_note_lines, period_closes, audit_log, prices
  FROM metering_app;

-- Tables that the owner creates later are the services' too: seen_events' day partitions (made
-- by ensure_seen_partitions below, as its owner) and the tables `aggregator rebuild` swaps in
-- (it grants them the live tables' privileges itself as well, whoever runs it). A later
-- migration that adds an append-only table revokes UPDATE and DELETE on it as above.
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO metering_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO metering_app;

-- The aggregator creates and drops seen_events' day partitions as it folds; that takes the
-- owner's rights, so these run as their owner (with a search path nobody else can put objects
-- on), and only the owner and metering_app may call them.
ALTER FUNCTION ensure_seen_partitions(date, date) SECURITY DEFINER SET search_path = public, pg_temp;
ALTER FUNCTION drop_seen_partitions(date) SECURITY DEFINER SET search_path = public, pg_temp;
REVOKE EXECUTE ON FUNCTION ensure_seen_partitions(date, date), drop_seen_partitions(date) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ensure_seen_partitions(date, date), drop_seen_partitions(date) TO metering_app;

-- The API analyzes its daily rollup cache after a large build (the planner otherwise takes it
-- for empty). Only an owner may ANALYZE a table; anyone else gets a warning and no statistics.
CREATE FUNCTION analyze_resource_daily() RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  ANALYZE usage_resource_daily;
END $$;
REVOKE EXECUTE ON FUNCTION analyze_resource_daily() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION analyze_resource_daily() TO metering_app;

-- Down Migration
-- The role stays: it belongs to the cluster, and other databases on it may use it. What this
-- database granted it is taken back. REVOKE CREATE ON SCHEMA public FROM PUBLIC stays too: it is
-- Postgres 15's default.
DROP FUNCTION analyze_resource_daily();
REVOKE EXECUTE ON FUNCTION ensure_seen_partitions(date, date), drop_seen_partitions(date) FROM metering_app;
GRANT EXECUTE ON FUNCTION ensure_seen_partitions(date, date), drop_seen_partitions(date) TO PUBLIC;
ALTER FUNCTION ensure_seen_partitions(date, date) SECURITY INVOKER RESET search_path;
ALTER FUNCTION drop_seen_partitions(date) SECURITY INVOKER RESET search_path;
ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE USAGE, SELECT ON SEQUENCES FROM metering_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE SELECT, INSERT, UPDATE, DELETE ON TABLES FROM metering_app;
DO $$
DECLARE r record;
BEGIN
  -- Every table and sequence of the schema, also the day partitions and swapped-in tables
  -- made since Up.
  FOR r IN SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'S') LOOP
    EXECUTE format('REVOKE ALL ON %s %I FROM metering_app', CASE r.relkind WHEN 'S' THEN 'SEQUENCE' ELSE 'TABLE' END, r.relname);
  END LOOP;
END $$;
REVOKE USAGE ON SCHEMA public FROM metering_app;
DO $$
BEGIN
  EXECUTE format('REVOKE CONNECT ON DATABASE %I FROM metering_app', current_database());
END $$;
