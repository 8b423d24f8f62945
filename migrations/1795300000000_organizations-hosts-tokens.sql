-- Up Migration

-- Who may do what. Slugs are the organization's identity everywhere (events, projections,
-- invoices): short, lowercase, immutable.
CREATE TABLE organizations (
  slug        text PRIMARY KEY CHECK (slug ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
  name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  created_at  timestamptz NOT NULL DEFAULT now()
);

-- A platform host posts usage events; it belongs to the platform, not to an organization.
CREATE TABLE hosts (
  id          text PRIMARY KEY,
  name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  created_at  timestamptz NOT NULL DEFAULT now(),
  revoked_at  timestamptz
);

CREATE TABLE memberships (
  org         text NOT NULL REFERENCES organizations (slug),
  email       text NOT NULL CHECK (email ~ '^[^@\s]+@[^@\s]+$' AND length(email) <= 254),
  role        text NOT NULL CHECK (role IN ('viewer', 'billing', 'admin')),
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org, email)
);

-- Tokens are shown once and stored only as a SHA-256 of the whole token: they are random
-- 256-bit secrets, so a slow password hash buys nothing and would cost every request.
-- A member token's role is read from its membership at each request, so a role change or a
-- removed membership applies at once.
CREATE TABLE tokens (
  id          text PRIMARY KEY,
  hash        bytea NOT NULL UNIQUE CHECK (length(hash) = 32),
  kind        text NOT NULL CHECK (kind IN ('host', 'member')),
  host_id     text REFERENCES hosts (id),
  org         text,
  email       text,
  name        text NOT NULL DEFAULT '',
  created_at  timestamptz NOT NULL DEFAULT now(),
  revoked_at  timestamptz,
  FOREIGN KEY (org, email) REFERENCES memberships (org, email) ON DELETE CASCADE,
  CHECK ((kind = 'host' AND host_id IS NOT NULL AND org IS NULL AND email IS NULL)
      OR (kind = 'member' AND host_id IS NULL AND org IS NOT NULL AND email IS NOT NULL))
);
CREATE INDEX tokens_member_idx ON tokens (org, email);
CREATE INDEX tokens_host_idx ON tokens (host_id);

-- Down Migration
DROP TABLE tokens;
DROP TABLE memberships;
DROP TABLE hosts;
DROP TABLE organizations;
