-- Up Migration

-- Corrections of usage by the billing team (CONTRACT.md, "Corrections"). A correction travels
-- through usage.events.v1 like usage; `corrections` keeps what was asked (by whom, when), so the
-- API can list it as pending before the fold has seen it and answer a re-send of the same id.
CREATE TABLE corrections (
  id           text        PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 128),
  org          text        NOT NULL REFERENCES organizations (slug),
  time         timestamptz NOT NULL,
  region       text        NOT NULL,
  app          text        NOT NULL,
  resource     text        NOT NULL,
  sku          text        NOT NULL,
  quantity     numeric     NOT NULL CHECK (quantity <> 0),
  reason       text        NOT NULL CHECK (length(reason) BETWEEN 1 AND 500),
  actor        text        NOT NULL,
  requested_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX corrections_org ON corrections (org, requested_at);

-- What the fold decided, in the transaction that folded it: a projection of the log like the
-- usage tables (a rebuild makes its own and swaps it in), and the once-per-id guard. No times:
-- a rebuild must come to the same rows.
CREATE TABLE correction_outcomes (
  id      text NOT NULL PRIMARY KEY,
  status  text NOT NULL CHECK (status IN ('applied', 'refused'))
);

GRANT SELECT, INSERT ON corrections TO metering_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON correction_outcomes TO metering_app;

ALTER TABLE audit_log DROP CONSTRAINT audit_log_action_check;
ALTER TABLE audit_log ADD CONSTRAINT audit_log_action_check CHECK (action IN (
  'membership.put', 'membership.delete', 'token.issue', 'token.revoke', 'host.create', 'host.revoke', 'organization.create',
  'price.set', 'price.remove', 'commitment.set', 'credit.grant',
  'alert.create', 'alert.delete',
  'correction.request', 'labels.set'));

-- App labels (CONTRACT.md, "Cost allocation by label"): a view over usage, joined on the app at
-- read time, so a change applies to all past usage at once.
CREATE TABLE app_labels (
  org         text        NOT NULL REFERENCES organizations (slug),
  app         text        NOT NULL,
  labels      jsonb       NOT NULL CHECK (jsonb_typeof(labels) = 'object'),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org, app)
);
GRANT SELECT, INSERT, UPDATE, DELETE ON app_labels TO metering_app;

-- Down Migration
-- Fails once a correction or a label change was audited: the log is append-only, and those rows stay.
DROP TABLE app_labels;
ALTER TABLE audit_log DROP CONSTRAINT audit_log_action_check;
ALTER TABLE audit_log ADD CONSTRAINT audit_log_action_check CHECK (action IN (
  'membership.put', 'membership.delete', 'token.issue', 'token.revoke', 'host.create', 'host.revoke', 'organization.create',
  'price.set', 'price.remove', 'commitment.set', 'credit.grant',
  'alert.create', 'alert.delete'));
DROP TABLE correction_outcomes;
DROP TABLE corrections;
