import { Inject, Injectable } from '@nestjs/common';
import type { Pool } from 'pg';
import type { Labels } from '@metering/billing';
import type { OrgId } from '@metering/domain';
import { audit } from './audit.repository';
import { PG_POOL, withTransaction } from './pool';

export interface AppView {
  app: string;
  labels: Labels;
}

/**
 * App labels: a view over usage, joined on the app at read time (see labelSql), so a change
 * applies to all past usage at once. An app is one the organization's usage names (or one
 * labelled before); usage without an app (app "") has none.
 */
@Injectable()
export class LabelsRepository {
  constructor(@Inject(PG_POOL) private readonly pool: Pool) {}

  /** The organization's apps with their labels, by name. */
  async apps(org: OrgId): Promise<AppView[]> {
    const { rows } = await this.pool.query<AppView>(
      `SELECT a.app, coalesce(l.labels, '{}'::jsonb) AS labels
         FROM (SELECT app FROM usage_hourly WHERE org = $1 AND app <> '' UNION SELECT app FROM app_labels WHERE org = $1) a
         LEFT JOIN app_labels l ON l.org = $1 AND l.app = a.app
        ORDER BY a.app`,
      [org],
    );
    return rows;
  }

  /** Replaces the app's labels with their audit entry; false when the organization has no such app. */
  async set(org: OrgId, app: string, labels: Labels, actor: string): Promise<boolean> {
    return withTransaction(this.pool, async (client) => {
      const known = await client.query(
        `SELECT 1 WHERE EXISTS (SELECT 1 FROM app_labels WHERE org = $1 AND app = $2)
            OR EXISTS (SELECT 1 FROM usage_hourly WHERE org = $1 AND app = $2)`,
        [org, app],
      );
      if (known.rowCount !== 1) return false;
      const before = await client.query<{ labels: Labels }>(
        'SELECT labels FROM app_labels WHERE org = $1 AND app = $2 FOR UPDATE',
        [org, app],
      );
      await client.query(
        `INSERT INTO app_labels (org, app, labels) VALUES ($1, $2, $3)
         ON CONFLICT (org, app) DO UPDATE SET labels = EXCLUDED.labels, updated_at = clock_timestamp()`,
        [org, app, JSON.stringify(labels)],
      );
      await audit(client, {
        org,
        actor,
        action: 'labels.set',
        subject: app,
        details: { labels, before: before.rows[0]?.labels ?? {} },
      });
      return true;
    });
  }
}
