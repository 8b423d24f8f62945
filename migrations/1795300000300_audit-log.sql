-- Up Migration

-- Every change to who may read an organization's data: memberships and tokens (and, with
-- org NULL, platform hosts). Written in the same transaction as the change itself, and
-- append-only like invoices.
CREATE TABLE audit_log (
  id       bigserial   PRIMARY KEY,
  org      text,
  at       timestamptz NOT NULL DEFAULT now(),
  actor    text        NOT NULL,
  action   text        NOT NULL CHECK (action IN ('membership.put', 'membership.delete', 'token.issue', 'token.revoke', 'host.create', 'host.revoke', 'organization.create')),
  subject  text        NOT NULL,
  details  jsonb       NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_org ON audit_log (org, id DESC);

CREATE TRIGGER audit_log_immutable BEFORE UPDATE OR DELETE ON audit_log FOR EACH ROW EXECUTE FUNCTION refuse_document_change();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log FOR EACH STATEMENT EXECUTE FUNCTION refuse_document_change();

-- Down Migration
DROP TABLE audit_log;
