import { Inject, Injectable } from '@nestjs/common';
import type { Pool } from 'pg';
import type { OrgId } from '@metering/domain';
import { PG_POOL } from './pool';

/** Where a resource ran last: its region and app in its latest hour of usage. */
export interface ResourcePlace {
  region: string;
  app: string;
  lastHour: Date;
}

/** Look-ups of one resource of one organization (its usage and cost are CostRepository's). */
@Injectable()
export class ResourceRepository {
  constructor(@Inject(PG_POOL) private readonly pool: Pool) {}

  /**
   * Null when `org` never had usage of `resource`: a resource of another organization is
   * then as unknown as one that does not exist. One index probe (usage_resource_hourly_by_resource).
   */
  async placeOf(org: OrgId, resource: string): Promise<ResourcePlace | null> {
    const { rows } = await this.pool.query<{ region: string; app: string; hour: Date }>(
      `SELECT region, app, hour FROM usage_resource_hourly WHERE org = $1 AND resource = $2 ORDER BY hour DESC LIMIT 1`,
      [org, resource],
    );
    const r = rows[0];
    return r ? { region: r.region, app: r.app, lastHour: r.hour } : null;
  }
}
