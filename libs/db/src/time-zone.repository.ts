import { Inject, Injectable } from '@nestjs/common';
import type { Pool } from 'pg';
import { PG_POOL } from './pool';

/** Zones whose answer is kept: every IANA name and alias once, with room for spellings in other cases. */
const KEPT_ZONES = 2000;

function isUnknownZone(e: unknown): boolean {
  return (
    typeof e === 'object' &&
    e !== null &&
    (e as { code?: unknown }).code === '22023' &&
    /time zone/.test(String((e as { message?: unknown }).message))
  );
}

/** Time zones as Postgres knows them: the reads cut days and months in them. */
@Injectable()
export class TimeZoneRepository {
  // Intl (ICU) and Postgres have their own zone databases: a zone ICU knows (US/Pacific-New)
  // may be one Postgres refuses, with a 500 where a query uses it. What Postgres answered
  // about each zone is kept; the callers ask only about names Intl accepted.
  private readonly known = new Map<string, boolean>();

  constructor(@Inject(PG_POOL) private readonly pool: Pool) {}

  /** Whether Postgres knows `tz`, so that a query cutting time in it does not fail. */
  async knows(tz: string): Promise<boolean> {
    if (tz === 'UTC') return true;
    let known = this.known.get(tz);
    if (known === undefined) {
      known = await this.localToInstant('2000-01-01', tz).then(
        () => true,
        (e: unknown) => {
          if (isUnknownZone(e)) return false;
          throw e;
        },
      );
      if (this.known.size >= KEPT_ZONES) this.known.delete(this.known.keys().next().value!);
      this.known.set(tz, known);
    }
    return known;
  }

  /** Resolves a wall-clock time without an offset (e.g. "2026-11-01") in a time zone. */
  async localToInstant(local: string, tz: string): Promise<Date> {
    const { rows } = await this.pool.query<{ t: Date }>('SELECT ($1::timestamp AT TIME ZONE $2) AS t', [local, tz]);
    return rows[0]!.t;
  }
}
