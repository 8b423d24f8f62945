-- Up Migration

-- Commercial terms (CONTRACT.md, "Commercial terms"): prices become effective-dated entries,
-- list (org null) or one organization's contract price, flat or tiered; monthly minimums and
-- credit grants are added, with the movements closes and voids make on the grants. All of it is
-- data the billing team changes at any time, append-only like the invoices that used it.

-- Price entries. Today's rows stay as they are and become the first list entries. An entry holds
-- until the next one of the same (sku, org); the same (sku, org, effective_from) twice is refused
-- (NULLS NOT DISTINCT: two list entries of one hour are duplicates too).
ALTER TABLE prices DROP CONSTRAINT prices_pkey;
ALTER TABLE prices
  ADD COLUMN id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  ADD COLUMN org        text REFERENCES organizations (slug),
  ADD COLUMN tiers      jsonb,
  ADD COLUMN tier_mode  text CHECK (tier_mode IN ('graduated', 'volume')),
  ADD COLUMN created_by text NOT NULL DEFAULT 'migration 1795300000002';
-- Rows inserted from now on are the operator's unless the service names who.
ALTER TABLE prices ALTER COLUMN created_by SET DEFAULT 'operator';
ALTER TABLE prices ALTER COLUMN unit_price DROP NOT NULL;
ALTER TABLE prices ADD CONSTRAINT prices_entry_unique UNIQUE NULLS NOT DISTINCT (sku, org, effective_from);
-- extract(epoch) rather than date_trunc: the latter follows the session's time zone.
ALTER TABLE prices ADD CONSTRAINT prices_on_the_hour CHECK (extract(epoch FROM effective_from) % 3600 = 0);

-- The tiers as the API writes them: [{"up_to": "3600", "unit_price": "0"}, ..., {"up_to": null, "unit_price": "..."}],
-- up_to strictly ascending positive decimal strings, only the last null; prices non-negative
-- decimal strings of at most 12 places. The pricing relies on it, so the database holds it too.
CREATE FUNCTION valid_price_tiers(tiers jsonb) RETURNS boolean
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
  n int;
  t jsonb;
  up jsonb;
  previous numeric := 0;
BEGIN
  IF jsonb_typeof(tiers) IS DISTINCT FROM 'array' THEN RETURN false; END IF;
  n := jsonb_array_length(tiers);
  IF n = 0 OR n > 100 THEN RETURN false; END IF;
  FOR i IN 0 .. n - 1 LOOP
    t := tiers -> i;
    IF jsonb_typeof(t) <> 'object' OR NOT (t ?& ARRAY['up_to', 'unit_price']) OR (SELECT count(*) FROM jsonb_object_keys(t)) <> 2 THEN RETURN false; END IF;
    IF jsonb_typeof(t -> 'unit_price') <> 'string' OR (t ->> 'unit_price') !~ '^(0|[1-9][0-9]*)(\.[0-9]{1,12})?$' THEN RETURN false; END IF;
    up := t -> 'up_to';
    IF i = n - 1 THEN
      IF jsonb_typeof(up) <> 'null' THEN RETURN false; END IF;
    ELSE
      IF jsonb_typeof(up) <> 'string' OR (up #>> '{}') !~ '^(0|[1-9][0-9]*)(\.[0-9]+)?$' OR (up #>> '{}')::numeric <= previous THEN RETURN false; END IF;
      previous := (up #>> '{}')::numeric;
    END IF;
  END LOOP;
  RETURN true;
END $$;

-- Either a unit price or tiers with their mode, never both.
ALTER TABLE prices ADD CONSTRAINT prices_rate CHECK (
  (unit_price IS NOT NULL AND tiers IS NULL AND tier_mode IS NULL)
  OR (unit_price IS NULL AND tiers IS NOT NULL AND tier_mode IS NOT NULL AND valid_price_tiers(tiers))
);
CREATE INDEX prices_org ON prices (org, sku, effective_from) WHERE org IS NOT NULL;

-- An entry that took effect before the end of the last invoiced month may have priced an
-- invoice (whose replay must give the same hash): no UPDATE or DELETE of it, whoever asks. The
-- boundary is the one refuse_retroactive_price uses for new entries. A DELETE also waits for
-- nothing: only an entry not yet in force may be removed (the contract's DELETE /v1/billing/prices/{id}).
CREATE FUNCTION refuse_used_price_change() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE closed_until timestamptz;
BEGIN
  SELECT (max(period) + interval '1 month') INTO closed_until FROM period_closes;
  IF closed_until IS NOT NULL AND OLD.effective_from < closed_until THEN
    RAISE EXCEPTION '% of price entry % (%, effective %) refused: an invoiced month may have used it (invoiced until %)', TG_OP, OLD.id, OLD.sku, OLD.effective_from, closed_until
      USING ERRCODE = 'integrity_constraint_violation',
            HINT = 'prices change by adding an entry effective from a later hour';
  END IF;
  IF TG_OP = 'DELETE' AND OLD.effective_from <= now() THEN
    RAISE EXCEPTION 'DELETE of price entry % (%, effective %) refused: it is in force', OLD.id, OLD.sku, OLD.effective_from
      USING ERRCODE = 'integrity_constraint_violation',
            HINT = 'only an entry not yet in force may be removed; add a later entry instead';
  END IF;
  RETURN CASE TG_OP WHEN 'DELETE' THEN OLD ELSE NEW END;
END $$;
DROP TRIGGER prices_no_delete ON prices;
CREATE TRIGGER prices_used_immutable BEFORE UPDATE OR DELETE ON prices FOR EACH ROW EXECUTE FUNCTION refuse_used_price_change();
CREATE TRIGGER prices_no_truncate BEFORE TRUNCATE ON prices FOR EACH STATEMENT EXECUTE FUNCTION refuse_document_change();

-- The services still may not delete rows of prices; removing a scheduled entry goes through
-- this one function (as the owner, the trigger above still asked), so a service bug cannot
-- delete anything else. True when the entry existed.
CREATE FUNCTION remove_scheduled_price(entry_id bigint) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  DELETE FROM prices WHERE id = entry_id;
  RETURN FOUND;
END $$;
REVOKE EXECUTE ON FUNCTION remove_scheduled_price(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION remove_scheduled_price(bigint) TO metering_app;

-- A monthly minimum from a month on, until the organization's next commitment ("0" ends it).
-- The one in force for a month: the latest from_period <= it, of those the last made (id).
CREATE TABLE commitments (
  id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  org              text        NOT NULL REFERENCES organizations (slug),
  from_period      date        NOT NULL CHECK (extract(day FROM from_period) = 1),
  monthly_minimum  numeric(20, 2) NOT NULL CHECK (monthly_minimum >= 0),
  created_at       timestamptz NOT NULL DEFAULT now(),
  created_by       text        NOT NULL DEFAULT 'operator'
);
CREATE INDEX commitments_org ON commitments (org, from_period, id);

-- A commitment may not start inside or before a closed month, like a price entry.
CREATE FUNCTION refuse_retroactive_commitment() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE closed_until date;
BEGIN
  SELECT (max(period) + interval '1 month')::date INTO closed_until FROM period_closes;
  IF closed_until IS NOT NULL AND NEW.from_period < closed_until THEN
    RAISE EXCEPTION 'commitment of % from % is inside an invoiced period (invoiced until %)', NEW.org, to_char(NEW.from_period, 'YYYY-MM'), closed_until
      USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER commitments_not_retroactive BEFORE INSERT ON commitments FOR EACH ROW EXECUTE FUNCTION refuse_retroactive_commitment();

-- Credit granted to an organization. A grant never changes; what remains of it is its amount
-- less what closes applied and plus what voids returned (credit_movements, credit_balances).
CREATE TABLE credit_grants (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  org         text        NOT NULL REFERENCES organizations (slug),
  amount      numeric(20, 2) NOT NULL CHECK (amount > 0),
  reason      text        NOT NULL CHECK (length(reason) BETWEEN 1 AND 500),
  granted_at  timestamptz NOT NULL DEFAULT now(),
  expires_at  timestamptz,
  created_by  text        NOT NULL DEFAULT 'operator'
);
CREATE INDEX credit_grants_org ON credit_grants (org, granted_at);

-- 'applied': a close drew `amount` from the grant for an invoice; 'returned': the void of that
-- invoice gave it back, with its credit note. One of each per (grant, invoice) at most.
CREATE TABLE credit_movements (
  id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  grant_id            bigint      NOT NULL REFERENCES credit_grants (id),
  kind                text        NOT NULL CHECK (kind IN ('applied', 'returned')),
  amount              numeric(20, 2) NOT NULL CHECK (amount > 0),
  invoice_number      text        NOT NULL REFERENCES invoices (number),
  credit_note_number  text        REFERENCES credit_notes (number),
  created_at          timestamptz NOT NULL DEFAULT now(),
  CHECK ((kind = 'returned') = (credit_note_number IS NOT NULL)),
  UNIQUE (grant_id, invoice_number, kind)
);
CREATE INDEX credit_movements_invoice ON credit_movements (invoice_number);

CREATE VIEW credit_balances AS
SELECT g.id, g.org, g.amount, g.reason, g.granted_at, g.expires_at, g.created_by,
       g.amount - coalesce(sum(m.amount) FILTER (WHERE m.kind = 'applied'), 0)
                + coalesce(sum(m.amount) FILTER (WHERE m.kind = 'returned'), 0) AS remaining
  FROM credit_grants g LEFT JOIN credit_movements m ON m.grant_id = g.id
 GROUP BY g.id;

-- A movement must fit its grant: an application no more than what remains, to an invoice of the
-- grant's organization; a return exactly what was applied to that invoice, with the credit note
-- that voided it. The grant's row is locked so two movements of one grant cannot both pass the
-- check; that takes the owner's rights (FOR UPDATE needs UPDATE, which the services lack).
CREATE FUNCTION check_credit_movement() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  g credit_grants;
  left_over numeric;
  invoice_org text;
  applied numeric;
BEGIN
  SELECT * INTO g FROM credit_grants WHERE id = NEW.grant_id FOR UPDATE;
  IF NOT FOUND THEN RETURN NEW; END IF; -- the foreign key reports it
  SELECT org INTO invoice_org FROM invoices WHERE number = NEW.invoice_number;
  IF invoice_org IS DISTINCT FROM g.org THEN
    RAISE EXCEPTION 'credit grant % of % cannot move on invoice % of %', g.id, g.org, NEW.invoice_number, invoice_org USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  IF NEW.kind = 'applied' THEN
    SELECT remaining INTO left_over FROM credit_balances WHERE id = g.id;
    IF NEW.amount > left_over THEN
      RAISE EXCEPTION 'credit grant % has % remaining, % cannot be applied', g.id, left_over, NEW.amount USING ERRCODE = 'check_violation';
    END IF;
  ELSE
    IF NOT EXISTS (SELECT 1 FROM credit_notes WHERE number = NEW.credit_note_number AND invoice_number = NEW.invoice_number) THEN
      RAISE EXCEPTION 'credit note % does not void invoice %', NEW.credit_note_number, NEW.invoice_number USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    SELECT amount INTO applied FROM credit_movements WHERE grant_id = g.id AND invoice_number = NEW.invoice_number AND kind = 'applied';
    IF applied IS DISTINCT FROM NEW.amount THEN
      RAISE EXCEPTION 'invoice % applied % of credit grant %, not %', NEW.invoice_number, coalesce(applied, 0), g.id, NEW.amount USING ERRCODE = 'check_violation';
    END IF;
  END IF;
  RETURN NEW;
END $$;
REVOKE EXECUTE ON FUNCTION check_credit_movement() FROM PUBLIC;
CREATE TRIGGER credit_movements_fit BEFORE INSERT ON credit_movements FOR EACH ROW EXECUTE FUNCTION check_credit_movement();

-- Commitments, grants and movements are append-only, like invoices: refused for everyone by
-- the triggers, and for the services already by their privileges (the default privileges of
-- 1795300000500 gave them UPDATE and DELETE on these new tables; taken back here).
DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['commitments', 'credit_grants', 'credit_movements'] LOOP
    EXECUTE format('CREATE TRIGGER %I BEFORE UPDATE OR DELETE ON %I FOR EACH ROW EXECUTE FUNCTION refuse_document_change()', t || '_immutable', t);
    EXECUTE format('CREATE TRIGGER %I BEFORE TRUNCATE ON %I FOR EACH STATEMENT EXECUTE FUNCTION refuse_document_change()', t || '_no_truncate', t);
  END LOOP;
END $$;
GRANT SELECT, INSERT ON commitments, credit_grants, credit_movements TO metering_app;
REVOKE UPDATE, DELETE, TRUNCATE ON commitments, credit_grants, credit_movements FROM metering_app;
GRANT SELECT ON credit_balances TO metering_app;
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON credit_balances FROM metering_app;

-- Invoice and credit note lines of the new kinds: minimum and credit lines are money only.
DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['invoice_lines', 'credit_note_lines'] LOOP
    EXECUTE format('ALTER TABLE %I DROP CONSTRAINT %I', t, t || '_kind_check');
    EXECUTE format('ALTER TABLE %I ALTER COLUMN sku DROP NOT NULL, ALTER COLUMN quantity DROP NOT NULL, ALTER COLUMN unit DROP NOT NULL, ALTER COLUMN unit_price DROP NOT NULL', t);
    EXECUTE format($f$ALTER TABLE %I ADD CONSTRAINT %I CHECK (
      (kind IN ('usage', 'adjustment') AND sku IS NOT NULL AND quantity IS NOT NULL AND unit IS NOT NULL AND unit_price IS NOT NULL)
      OR (kind IN ('minimum', 'credit') AND sku IS NULL AND quantity IS NULL AND unit IS NULL AND unit_price IS NULL))$f$, t, t || '_kind_check');
  END LOOP;
END $$;

-- Down Migration
-- Fails once an invoice has a minimum or credit line (the NOT NULLs), or once there are tiered
-- entries or a contract entry of the same (sku, hour) as a list entry (unit_price NOT NULL, the
-- old key): by then the terms are history that invoices used, and stay.
DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['invoice_lines', 'credit_note_lines'] LOOP
    EXECUTE format('ALTER TABLE %I DROP CONSTRAINT %I', t, t || '_kind_check');
    EXECUTE format('ALTER TABLE %I ALTER COLUMN sku SET NOT NULL, ALTER COLUMN quantity SET NOT NULL, ALTER COLUMN unit SET NOT NULL, ALTER COLUMN unit_price SET NOT NULL', t);
    EXECUTE format($f$ALTER TABLE %I ADD CONSTRAINT %I CHECK (kind IN ('usage', 'adjustment'))$f$, t, t || '_kind_check');
  END LOOP;
END $$;
DROP VIEW credit_balances;
DROP TABLE credit_movements;
DROP FUNCTION check_credit_movement();
DROP TABLE credit_grants;
DROP TABLE commitments;
DROP FUNCTION refuse_retroactive_commitment();
DROP FUNCTION remove_scheduled_price(bigint);
DROP TRIGGER prices_no_truncate ON prices;
DROP TRIGGER prices_used_immutable ON prices;
DROP FUNCTION refuse_used_price_change();
CREATE TRIGGER prices_no_delete BEFORE DELETE ON prices FOR EACH ROW EXECUTE FUNCTION refuse_document_change();
DROP INDEX prices_org;
ALTER TABLE prices DROP CONSTRAINT prices_rate;
DROP FUNCTION valid_price_tiers(jsonb);
ALTER TABLE prices DROP CONSTRAINT prices_on_the_hour;
ALTER TABLE prices DROP CONSTRAINT prices_entry_unique;
ALTER TABLE prices ALTER COLUMN unit_price SET NOT NULL;
ALTER TABLE prices DROP COLUMN created_by, DROP COLUMN tier_mode, DROP COLUMN tiers, DROP COLUMN org, DROP COLUMN id;
ALTER TABLE prices ADD PRIMARY KEY (sku, effective_from);
