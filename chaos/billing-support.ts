import type { Logger } from '@nestjs/common';
import type { Pool } from 'pg';
import type { Period } from '@metering/domain';
import { loadConfig, MeteringConfig } from '@metering/service';
import { verify } from '../apps/invoicing/src/verify';
import type { Hosts } from './hosts';
import { ChaosStack, CHAOS_OPERATOR_TOKEN } from './stack';

/** What the billing scenarios read back from the invoicing service. */
export interface Line {
  kind: 'usage' | 'adjustment';
  sku: string;
  usage_period: string;
  quantity: string;
  unit?: string;
  unit_price: string;
  amount: string;
}
/**
 * Any line of an invoice or a preview under commercial terms: usage and adjustment lines carry
 * a SKU, quantity and unit price; minimum and credit lines are money only (those are null).
 */
export interface TermsLine {
  kind: 'usage' | 'adjustment' | 'minimum' | 'credit';
  sku: string | null;
  usage_period: string;
  quantity: string | null;
  unit?: string | null;
  unit_price: string | null;
  amount: string;
}
export interface Summary {
  number: string;
  org: string;
  total: string;
  content_hash: string;
}
export interface CloseAnswer {
  period: string;
  created: number;
  invoices: Summary[];
}
/** An HTTP call as the operator that never throws: the status and the parsed body. */
export async function call(
  url: string,
  method = 'GET',
  body?: unknown,
): Promise<{ status: number; body: any; ms: number }> {
  const t = Date.now();
  try {
    const res = await fetch(url, {
      method,
      headers: {
        authorization: `Bearer ${CHAOS_OPERATOR_TOKEN}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(600_000),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      /* not JSON: keep the text */
    }
    return { status: res.status, body: parsed, ms: Date.now() - t };
  } catch (e) {
    return { status: 0, body: String(e), ms: Date.now() - t };
  }
}

/** The configuration the stack's services run with, for running one of them in this process. */
export function stackConfig(stack: ChaosStack): MeteringConfig {
  return loadConfig({ ...process.env, ...stack.serviceEnv() });
}

/** `npm run billing -- verify`, in this process, against the scenario's database and topics. */
export async function verifyFigure(stack: ChaosStack): Promise<{ ok: boolean; text: string; seconds: number }> {
  try {
    const report = await verify(stackConfig(stack), { log: () => undefined } as unknown as Logger);
    const text = report.periods
      .map(
        (p) =>
          `${p.period}: ${p.matched}/${p.invoices} hash the same${p.mismatched.length + p.missing.length + p.extra.length > 0 ? ` (differ: ${[...p.mismatched, ...p.missing, ...p.extra].join(', ')})` : ''}`,
      )
      .join('; ');
    return {
      ok: report.ok && report.periods.length > 0,
      text: `${report.ok ? 'verified' : 'MISMATCH'}: ${text}`,
      seconds: report.seconds,
    };
  } catch (e) {
    return { ok: false, text: `verify failed: ${String(e).slice(0, 300)}`, seconds: 0 };
  }
}

/** Several hosts' accepted events as one, for projectionTally. */
export function together(...all: Hosts[]): Pick<Hosts, 'expected'> {
  const merged = new Map<string, { events: number; quantity: number }>();
  for (const h of all) {
    for (const [k, c] of h.expected()) {
      const m = merged.get(k) ?? { events: 0, quantity: 0 };
      m.events += c.events;
      m.quantity += c.quantity;
      merged.set(k, m);
    }
  }
  return { expected: () => merged };
}

/** Answers that made the hosts try again, by status, over several Hosts. */
export function retries(...all: Hosts[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const h of all) for (const [k, n] of Object.entries(h.stats.retries)) out[k] = (out[k] ?? 0) + n;
  return out;
}

/** The named checks that failed, and the figures that say so: how many passed, and which did not and why. */
export function verdict(
  checks: Record<string, boolean>,
  problems: readonly string[],
): { failed: string[]; summary: Record<string, string> } {
  const failed = Object.entries(checks)
    .filter(([, ok]) => !ok)
    .map(([name]) => name);
  const summary: Record<string, string> = {
    checks: `${Object.keys(checks).length - failed.length}/${Object.keys(checks).length} passed`,
  };
  if (failed.length > 0)
    Object.assign(summary, { 'failed checks': failed.join('; '), problems: problems.slice(0, 10).join('; ') });
  return { failed, summary };
}

/** A tier as the prices table holds it: units up to and including `up_to` (null: the rest). */
export interface TierRow {
  up_to: string | null;
  unit_price: string;
}

/** Commercial terms a scenario puts in place, in its own database, before usage flows. */
export interface ScenarioTerms {
  /** Contract prices (tiered), each from `from` (epoch ms, the start of a UTC hour). */
  prices?: { org: string; sku: string; from: number; mode: 'graduated' | 'volume'; tiers: TierRow[] }[];
  commitments?: { org: string; from: Period; minimum: string }[];
  credits?: { org: string; amount: string; reason: string; expiresAt?: number }[];
}

/** Writes the terms as the database owner, in plain SQL, as the billing team's entries would stand. */
export async function putTerms(pool: Pool, terms: ScenarioTerms): Promise<void> {
  for (const p of terms.prices ?? [])
    await pool.query(
      `INSERT INTO prices (sku, unit, org, tiers, tier_mode, effective_from, created_by)
       SELECT $1, unit, $2, $3::jsonb, $4, $5, 'chaos' FROM prices WHERE sku = $1 AND org IS NULL ORDER BY effective_from DESC LIMIT 1`,
      [p.sku, p.org, JSON.stringify(p.tiers), p.mode, new Date(p.from)],
    );
  for (const c of terms.commitments ?? [])
    await pool.query(
      `INSERT INTO commitments (org, from_period, monthly_minimum, created_by) VALUES ($1, ($2 || '-01')::date, $3, 'chaos')`,
      [c.org, c.from, c.minimum],
    );
  for (const g of terms.credits ?? [])
    await pool.query(
      `INSERT INTO credit_grants (org, amount, reason, expires_at, created_by) VALUES ($1, $2, $3, $4, 'chaos')`,
      [g.org, g.amount, g.reason, g.expiresAt === undefined ? null : new Date(g.expiresAt)],
    );
  const { rows } = await pool.query<{ n: number }>(
    `SELECT (SELECT count(*) FROM prices WHERE created_by = 'chaos')::int
          + (SELECT count(*) FROM commitments WHERE created_by = 'chaos')::int
          + (SELECT count(*) FROM credit_grants WHERE created_by = 'chaos')::int AS n`,
  );
  const wanted = (terms.prices?.length ?? 0) + (terms.commitments?.length ?? 0) + (terms.credits?.length ?? 0);
  if (rows[0]!.n !== wanted) throw new Error(`put ${rows[0]!.n} of ${wanted} terms (a SKU without a list price?)`);
}

/** The terms in a line each, for the report. */
export function describeTerms(terms: ScenarioTerms): string {
  const at = (ms: number) => new Date(ms).toISOString().slice(0, 13).replace('T', ' ') + 'h';
  return [
    ...(terms.prices ?? []).map(
      (p) =>
        `${p.org} ${p.sku} ${p.mode} from ${at(p.from)} [${p.tiers.map((t) => `${t.up_to ?? '∞'} @ ${t.unit_price}`).join(', ')}]`,
    ),
    ...(terms.commitments ?? []).map((c) => `${c.org} minimum ${c.minimum} from ${c.from}`),
    ...(terms.credits ?? []).map(
      (g) => `${g.org} credit ${g.amount}${g.expiresAt === undefined ? '' : ` expiring ${at(g.expiresAt)}`}`,
    ),
  ].join('; ');
}
