-- Up Migration

-- The monthly rollup of the hourly projection per (org, sku): what a period close reads, so
-- that closing a month for 10,000 organizations reads ~50,000 rows, not every hour of every
-- app and region. Maintained by the aggregator in the same transaction as usage_hourly.
-- Only a SKU whose price changes inside a month is read from usage_hourly, per price span.
CREATE TABLE usage_monthly (
  period    date    NOT NULL CHECK (extract(day FROM period) = 1),
  org       text    NOT NULL,
  sku       text    NOT NULL,
  quantity  numeric NOT NULL CHECK (quantity >= 0),
  events    bigint  NOT NULL CHECK (events > 0),
  PRIMARY KEY (period, org, sku)
);
INSERT INTO usage_monthly (period, org, sku, quantity, events)
SELECT (date_trunc('month', hour AT TIME ZONE 'UTC'))::date, org, sku, sum(quantity), sum(events)
  FROM usage_hourly GROUP BY 1, 2, 3;

-- One row per closed period, with the aggregator positions the close read the projections at
-- (same snapshot), so `billing verify` can replay exactly what the close saw.
CREATE TABLE period_closes (
  period      date        PRIMARY KEY CHECK (extract(day FROM period) = 1),
  closed_at   timestamptz NOT NULL DEFAULT now(),
  positions   jsonb       NOT NULL,
  invoices    int         NOT NULL
);

-- Invoices and credit notes share one gapless number sequence. A Postgres sequence skips
-- numbers on rollback; this counter row is updated inside the issuing transaction instead, so
-- a rolled-back close gives its numbers back.
CREATE TABLE document_counter (
  only_row  boolean PRIMARY KEY DEFAULT true CHECK (only_row),
  last      bigint  NOT NULL CHECK (last >= 0)
);
INSERT INTO document_counter VALUES (true, 0);

CREATE TABLE invoices (
  number        text        PRIMARY KEY,
  seq           bigint      NOT NULL UNIQUE,
  org           text        NOT NULL,
  period        date        NOT NULL REFERENCES period_closes (period),
  currency      text        NOT NULL CHECK (currency = 'USD'),
  issued_at     timestamptz NOT NULL,
  total         numeric(20, 2) NOT NULL,
  content_hash  text        NOT NULL CHECK (content_hash ~ '^[0-9a-f]{64}$'),
  UNIQUE (org, period)
);

CREATE TABLE invoice_lines (
  invoice_number  text    NOT NULL REFERENCES invoices (number),
  line_no         int     NOT NULL,
  kind            text    NOT NULL CHECK (kind IN ('usage', 'adjustment')),
  sku             text    NOT NULL,
  usage_period    date    NOT NULL,
  quantity        numeric NOT NULL,
  unit            text    NOT NULL,
  unit_price      numeric NOT NULL,
  amount          numeric(20, 2) NOT NULL,
  description     text    NOT NULL,
  PRIMARY KEY (invoice_number, line_no)
);

CREATE TABLE credit_notes (
  number          text        PRIMARY KEY,
  seq             bigint      NOT NULL UNIQUE,
  invoice_number  text        NOT NULL UNIQUE REFERENCES invoices (number),
  org             text        NOT NULL,
  currency        text        NOT NULL CHECK (currency = 'USD'),
  issued_at       timestamptz NOT NULL,
  total           numeric(20, 2) NOT NULL,
  content_hash    text        NOT NULL CHECK (content_hash ~ '^[0-9a-f]{64}$'),
  reason          text        NOT NULL DEFAULT ''
);

CREATE TABLE credit_note_lines (
  credit_note_number  text    NOT NULL REFERENCES credit_notes (number),
  line_no             int     NOT NULL,
  kind                text    NOT NULL CHECK (kind IN ('usage', 'adjustment')),
  sku                 text    NOT NULL,
  usage_period        date    NOT NULL,
  quantity            numeric NOT NULL,
  unit                text    NOT NULL,
  unit_price          numeric NOT NULL,
  amount              numeric(20, 2) NOT NULL,
  description         text    NOT NULL,
  PRIMARY KEY (credit_note_number, line_no)
);

-- Finalized documents never change, whatever the client: the database refuses it.
CREATE FUNCTION refuse_document_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% on % refused: it is append-only (finalized invoices and credit notes never change)', TG_OP, TG_TABLE_NAME
    USING ERRCODE = 'integrity_constraint_violation',
          HINT = 'void an invoice with a credit note; late usage is billed as adjustment lines';
END $$;

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['invoices', 'invoice_lines', 'credit_notes', 'credit_note_lines', 'period_closes'] LOOP
    EXECUTE format('CREATE TRIGGER %I BEFORE UPDATE OR DELETE ON %I FOR EACH ROW EXECUTE FUNCTION refuse_document_change()', t || '_immutable', t);
    EXECUTE format('CREATE TRIGGER %I BEFORE TRUNCATE ON %I FOR EACH STATEMENT EXECUTE FUNCTION refuse_document_change()', t || '_no_truncate', t);
  END LOOP;
END $$;

-- Billing events (invoice.finalized, credit_note.issued) are written here in the issuing
-- transaction and relayed to Kafka afterwards, so none is lost when Kafka is down at close.
CREATE TABLE outbox (
  id          bigserial   PRIMARY KEY,
  topic       text        NOT NULL,
  key         text        NOT NULL,
  value       bytea       NOT NULL,
  headers     jsonb       NOT NULL DEFAULT '{}',
  created_at  timestamptz NOT NULL DEFAULT now(),
  sent_at     timestamptz
);
CREATE INDEX outbox_unsent ON outbox (id) WHERE sent_at IS NULL;

-- Reconcile and adjustments sum what was billed per (org, period, sku).
CREATE INDEX invoice_lines_usage ON invoice_lines (usage_period, sku);
CREATE INDEX invoices_org ON invoices (org, period);

-- A price that took effect before the end of an invoiced period would rewrite history
-- (and make a replay of that close differ): refuse it.
CREATE FUNCTION refuse_retroactive_price() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE closed_until timestamptz;
BEGIN
  SELECT (max(period) + interval '1 month') INTO closed_until FROM period_closes;
  IF closed_until IS NOT NULL AND NEW.effective_from < closed_until THEN
    RAISE EXCEPTION 'price for % effective % is inside an invoiced period (invoiced until %)', NEW.sku, NEW.effective_from, closed_until
      USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER prices_not_retroactive BEFORE INSERT OR UPDATE ON prices FOR EACH ROW EXECUTE FUNCTION refuse_retroactive_price();
CREATE TRIGGER prices_no_delete BEFORE DELETE ON prices FOR EACH ROW EXECUTE FUNCTION refuse_document_change();

-- Down Migration
DROP TRIGGER prices_no_delete ON prices;
DROP TRIGGER prices_not_retroactive ON prices;
DROP FUNCTION refuse_retroactive_price();
DROP TABLE outbox;
DROP TABLE credit_note_lines;
DROP TABLE credit_notes;
DROP TABLE invoice_lines;
DROP TABLE invoices;
DROP FUNCTION refuse_document_change() CASCADE;
DROP TABLE document_counter;
DROP TABLE period_closes;
DROP TABLE usage_monthly;
