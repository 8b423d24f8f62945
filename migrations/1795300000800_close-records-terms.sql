-- Up Migration

-- A close records the commercial terms it priced with (price entries, commitments, and the
-- credit grants with what remained of them), so that `billing verify` replays it with exactly
-- those, whatever was granted, applied or scheduled since. Closes made before this have none:
-- they priced with the list price book alone, which verify reads for them.
ALTER TABLE period_closes ADD COLUMN terms jsonb;

-- Down Migration
ALTER TABLE period_closes DROP COLUMN terms;
