-- Up Migration

-- Changes of the commercial terms are audited like changes of who may read (CONTRACT.md,
-- "Commercial terms": every change is in the audit log, with who made it). A list price's
-- entry has org NULL in the log, like a platform host.
ALTER TABLE audit_log DROP CONSTRAINT audit_log_action_check;
ALTER TABLE audit_log ADD CONSTRAINT audit_log_action_check CHECK (action IN (
  'membership.put', 'membership.delete', 'token.issue', 'token.revoke', 'host.create', 'host.revoke', 'organization.create',
  'price.set', 'price.remove', 'commitment.set', 'credit.grant'));

-- Down Migration
-- Fails once a change of the terms was audited: the log is append-only, and those rows stay.
ALTER TABLE audit_log DROP CONSTRAINT audit_log_action_check;
ALTER TABLE audit_log ADD CONSTRAINT audit_log_action_check CHECK (action IN (
  'membership.put', 'membership.delete', 'token.issue', 'token.revoke', 'host.create', 'host.revoke', 'organization.create'));
