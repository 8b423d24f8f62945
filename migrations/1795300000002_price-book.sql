-- Up Migration

-- The price book, effective-dated: a price holds from effective_from until the next row of
-- the same SKU. Invoices use the price in force at the hour of the usage. Prices change by
-- inserting a row, never by updating one, so every invoice stays explainable.
CREATE TABLE prices (
  sku             text        NOT NULL,
  unit            text        NOT NULL CHECK (unit IN ('second', 'gb-second', 'byte')),
  unit_price      numeric     NOT NULL CHECK (unit_price >= 0),
  effective_from  timestamptz NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (sku, effective_from)
);

-- USD per unit. Per-second prices are monthly list prices / 2,592,000 s (30 days):
-- shared-cpu-1x ~ $1.94/month, performance-1x ~ $32/month, an A100 80GB $3.50/hour,
-- volumes $0.15 per GB-month, egress $0.02/GB in North America and Europe up to $0.12/GB
-- in India and Africa, a dedicated IPv4 $2/month.
INSERT INTO prices (sku, unit, unit_price, effective_from) VALUES
  ('machine.runtime/shared-cpu-1x',  'second',    0.00000075,     '2020-01-01T00:00:00Z'),
  ('machine.runtime/shared-cpu-2x',  'second',    0.0000015,      '2020-01-01T00:00:00Z'),
  ('machine.runtime/shared-cpu-4x',  'second',    0.000003,       '2020-01-01T00:00:00Z'),
  ('machine.runtime/shared-cpu-8x',  'second',    0.000006,       '2020-01-01T00:00:00Z'),
  ('machine.runtime/performance-1x', 'second',    0.0000124,      '2020-01-01T00:00:00Z'),
  ('machine.runtime/performance-2x', 'second',    0.0000248,      '2020-01-01T00:00:00Z'),
  ('machine.runtime/performance-4x', 'second',    0.0000496,      '2020-01-01T00:00:00Z'),
  ('machine.runtime/performance-8x', 'second',    0.0000992,      '2020-01-01T00:00:00Z'),
  ('machine.runtime/performance-16x','second',    0.0001984,      '2020-01-01T00:00:00Z'),
  ('gpu.runtime/a10',                'second',    0.000417,       '2020-01-01T00:00:00Z'),
  ('gpu.runtime/l40s',               'second',    0.000347,       '2020-01-01T00:00:00Z'),
  ('gpu.runtime/a100-40gb',          'second',    0.000694,       '2020-01-01T00:00:00Z'),
  ('gpu.runtime/a100-80gb',          'second',    0.000972,       '2020-01-01T00:00:00Z'),
  ('volume.storage',                 'gb-second', 0.0000000578704,'2020-01-01T00:00:00Z'),
  ('network.egress/na',              'byte',      0.00000000002,  '2020-01-01T00:00:00Z'),
  ('network.egress/eu',              'byte',      0.00000000002,  '2020-01-01T00:00:00Z'),
  ('network.egress/sa',              'byte',      0.00000000004,  '2020-01-01T00:00:00Z'),
  ('network.egress/apac',            'byte',      0.00000000004,  '2020-01-01T00:00:00Z'),
  ('network.egress/in',              'byte',      0.00000000012,  '2020-01-01T00:00:00Z'),
  ('network.egress/af',              'byte',      0.00000000012,  '2020-01-01T00:00:00Z'),
  ('ip.dedicated',                   'second',    0.000000771605, '2020-01-01T00:00:00Z');

-- Down Migration
DROP TABLE prices;
