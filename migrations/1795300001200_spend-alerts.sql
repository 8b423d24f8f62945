-- Up Migration

-- Spend alerts (CONTRACT.md, "Controls for organizations"). An alert is removed by marking it
-- deleted: its firings and deliveries stay, as the record of what was sent. The secret signs
-- the webhooks (HMAC), so it is kept as it is; the API shows it once, at creation.
CREATE TABLE alerts (
  id          text        PRIMARY KEY,
  org         text        NOT NULL REFERENCES organizations (slug),
  name        text        NOT NULL,
  threshold   numeric     NOT NULL CHECK (threshold > 0),
  app         text,
  sku_prefix  text,
  webhook_url text,
  secret      text        NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  created_by  text        NOT NULL,
  deleted_at  timestamptz
);
CREATE INDEX alerts_live_by_org ON alerts (org) WHERE deleted_at IS NULL;

-- At most one firing per alert and month, whoever evaluates: the primary key decides among
-- racing aggregators, and the firing's outbox rows are written in the same transaction.
CREATE TABLE alert_firings (
  alert_id     text        NOT NULL REFERENCES alerts (id),
  period       date        NOT NULL,
  amount       numeric     NOT NULL,
  triggered_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (alert_id, period)
);

-- The webhook outbox. The body is stored as sent, so every attempt carries the same
-- delivery_id (id); next_attempt_at doubles as a lease while an attempt is under way.
CREATE TABLE webhook_deliveries (
  id              text        PRIMARY KEY,
  alert_id        text        NOT NULL,
  period          date        NOT NULL,
  url             text        NOT NULL,
  body            text        NOT NULL,
  status          text        NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
  attempts        int         NOT NULL DEFAULT 0,
  created_at      timestamptz NOT NULL DEFAULT now(),
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  last_attempt_at timestamptz,
  last_status     int,
  last_error      text,
  delivered_at    timestamptz,
  FOREIGN KEY (alert_id, period) REFERENCES alert_firings (alert_id, period),
  UNIQUE (alert_id, period)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';

-- Firings are facts: the services add them and never change them.
REVOKE UPDATE, DELETE ON alert_firings FROM metering_app;

-- Creating and removing alerts is audited. The action list is extended from what it is now
-- rather than restated, so that migrations adding other actions keep theirs in any order.
DO $$
DECLARE def text;
BEGIN
  SELECT pg_get_constraintdef(oid) INTO def FROM pg_constraint
   WHERE conrelid = 'audit_log'::regclass AND conname = 'audit_log_action_check';
  IF position('''alert.create''' IN def) = 0 THEN
    def := replace(def, 'ARRAY[', 'ARRAY[''alert.create''::text, ''alert.delete''::text, ');
    ALTER TABLE audit_log DROP CONSTRAINT audit_log_action_check;
    EXECUTE format('ALTER TABLE audit_log ADD CONSTRAINT audit_log_action_check %s', def);
  END IF;
END $$;

-- Down Migration
-- The audit actions stay allowed: audited alert changes cannot leave the append-only log.
DROP TABLE webhook_deliveries;
DROP TABLE alert_firings;
DROP TABLE alerts;
