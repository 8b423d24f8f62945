import { Period, periodBounds, periodOf } from '@metering/domain';
import { call, CloseAnswer, describeTerms, putTerms, ScenarioTerms, Summary, verifyFigure } from '../billing-support';
import { Hosts } from '../hosts';
import { acceptedByMonth, invoiceTally, numbering, projectionTally, sum, termsTally } from '../invariant';
import { createPrivatePostgres } from '../private-postgres';
import type { ScenarioResult } from '../report';
import { ChaosStack, sleep } from '../stack';

export interface PostgresSize {
  events: number;
  orgs: number;
  downSeconds: number;
  /** Closes interrupted by a crash before one is let through. */
  closeCrashes: number;
}

/** A close over HTTP: its status (0 for no answer) and the invoices it answered. */
async function close(url: string, period: string): Promise<{ status: number; invoices: Summary[] }> {
  const { status, body } = await call(`${url}/v1/billing/periods/${period}/close`, 'POST');
  return { status, invoices: (body as Partial<CloseAnswer> | null)?.invoices ?? [] };
}

const cents = (usd: number) => (Math.round(usd * 100) / 100).toFixed(2);

/**
 * The commercial terms of four of the organizations, from the first hour of the month the
 * usage is in. Organization i runs size i mod 4 only (event k is of org k mod n and size
 * k mod 4, n a multiple of 4), `seconds` each:
 * - org-00000 (shared-cpu-1x): graduated, free up to half its month, so its usage crosses it;
 * - org-00001 (shared-cpu-2x): volume, a cheaper tier from half its month, which it reaches;
 * - org-00002 (performance-1x): a monthly minimum of ten times its month at the list price, $1 at least;
 * - org-00003 (performance-2x): a credit grant of half its month at the list price.
 */
export function postgresTerms(period: Period, seconds: number): ScenarioTerms {
  const from = periodBounds(period).from;
  const half = String(Math.round(seconds / 2));
  return {
    prices: [
      {
        org: 'org-00000',
        sku: 'machine.runtime/shared-cpu-1x',
        from,
        mode: 'graduated',
        tiers: [
          { up_to: half, unit_price: '0' },
          { up_to: null, unit_price: '0.00002' },
        ],
      },
      {
        org: 'org-00001',
        sku: 'machine.runtime/shared-cpu-2x',
        from,
        mode: 'volume',
        tiers: [
          { up_to: half, unit_price: '0.0001' },
          { up_to: null, unit_price: '0.00006' },
        ],
      },
    ],
    commitments: [{ org: 'org-00002', from: period, minimum: cents(Math.max(1, 10 * seconds * 0.0000124)) }],
    credits: [
      { org: 'org-00003', amount: cents(Math.max(0.01, (seconds * 0.0000248) / 2)), reason: 'chaos: outage credit' },
    ],
  };
}

/**
 * Postgres crashed (every backend killed at once, WAL replayed at the next start) twice while
 * events are folded, then during closes of the month before: no service is restarted by hand;
 * each must ride out the outage by itself. A close cut off by a crash leaves nothing behind,
 * and the close that follows makes every invoice once.
 */
export async function postgresRestart(size: PostgresSize): Promise<ScenarioResult> {
  const pg = await createPrivatePostgres();
  await pg.start();
  const stack = await ChaosStack.start({
    name: 'postgres',
    services: ['api', 'collector', 'aggregator', 'invoicing'],
    postgres: pg,
  }).catch(async (e) => {
    await pg.destroy();
    throw e;
  });
  try {
    const orgs = Array.from({ length: size.orgs }, (_, i) => `org-${String(i).padStart(5, '0')}`);
    const hosts = new Hosts(() => stack.url('collector'), await stack.seed(orgs), orgs, `pg-${Date.now()}`, {
      resendShare: 0.1,
    });
    const previous = periodOf(periodBounds(periodOf(Date.now())).from - 1);
    // Contract prices (graduated and volume tiers), a minimum and a credit, before any usage flows.
    const terms = postgresTerms(previous, Math.floor(size.events / size.orgs) * 60);
    await putTerms(stack.pool, terms);
    const lastDay = periodBounds(previous).to - 86_400_000;
    // Usage of the last day of the month before, so that month can be closed.
    const seconds = 3 * size.downSeconds + 15;
    const flow = hosts.flow(size.events, 500, 8, (i) => lastDay + (i % 24) * 3_600_000 + 1_000, size.events / seconds);
    const foldOutages: number[] = [];
    for (let i = 0; i < 2; i++) {
      await sleep((seconds / 4) * 1000);
      const acceptedBefore = hosts.stats.accepted;
      await pg.crash();
      await sleep(size.downSeconds * 1000);
      await pg.start();
      const up = Date.now();
      while (hosts.stats.accepted === acceptedBefore && Date.now() - up < 120_000) await sleep(50);
      foldOutages.push(Date.now() - up);
    }
    await flow;
    await stack.foldedToEnd();
    const folded = await projectionTally(stack.pool, hosts, orgs);

    // Closes cut off by a crash in the middle of their writes, then one let through.
    const invoicing = stack.url('invoicing');
    const cut: string[] = [];
    let leftBehind = 0;
    for (let i = 0; i < size.closeCrashes; i++) {
      let answered = false;
      const closing = close(invoicing, previous).finally(() => (answered = true));
      // The moment a transaction other than ours has written something: the close, mid-way.
      while (!answered) {
        const { rows } = await stack.pool.query<{ n: number }>(
          'SELECT count(*)::int AS n FROM pg_stat_activity WHERE backend_xid IS NOT NULL AND pid <> pg_backend_pid()',
        );
        if (rows[0]!.n > 0) break;
      }
      const midway = !answered;
      await pg.crash();
      const answer = await closing;
      cut.push(
        midway
          ? `cut mid-write, answered ${answer.status === 0 ? 'nothing' : answer.status}`
          : `finished first (${answer.status})`,
      );
      await pg.start();
      leftBehind += await stack.pool
        .query<{ n: number }>(
          'SELECT ((SELECT count(*) FROM invoices) + (SELECT count(*) FROM period_closes) + (SELECT count(*) FROM credit_movements))::int AS n',
        )
        .then(
          (r) => r.rows[0]!.n,
          () => 0,
        );
    }
    let done: { status: number; invoices: Summary[] } = { status: 0, invoices: [] };
    const closeStarted = Date.now();
    for (let attempt = 0; attempt < 30 && done.status !== 201 && done.status !== 200; attempt++) {
      if (attempt > 0) await sleep(1_000);
      done = await close(invoicing, previous);
    }
    const closeRecovered = Date.now() - closeStarted;
    const again = await close(invoicing, previous);
    const billed = await invoiceTally(stack.pool, orgs, [previous]);
    const priced = await termsTally(stack.pool, acceptedByMonth(hosts), orgs, [previous]);
    const lines = await stack.pool.query<{ org: string; kind: string; unit_price: string | null; total: string }>(
      `SELECT i.org, l.kind, l.unit_price::text, i.total::text FROM invoices i JOIN invoice_lines l ON l.invoice_number = i.number
        WHERE i.org = ANY($1)`,
      [['org-00000', 'org-00001', 'org-00002', 'org-00003']],
    );
    const has = (org: string, f: (l: (typeof lines.rows)[number]) => boolean) =>
      lines.rows.some((l) => l.org === org && f(l));
    const inPlay = [
      has('org-00000', (l) => l.kind === 'usage' && Number(l.unit_price) === 0) &&
      has('org-00000', (l) => l.kind === 'usage' && Number(l.unit_price) > 0)
        ? ''
        : 'org-00000 not on both sides of its free tier',
      has('org-00001', (l) => l.kind === 'usage' && l.unit_price === '0.00006') &&
      !has('org-00001', (l) => l.kind === 'usage' && l.unit_price === '0.0001')
        ? ''
        : 'org-00001 not all at the volume tier it reached',
      has('org-00002', (l) => l.kind === 'minimum') ? '' : 'org-00002 without its minimum',
      has('org-00003', (l) => l.kind === 'credit') ? '' : 'org-00003 without its credit',
    ].filter((f) => f !== '');
    const v = await verifyFigure(stack);
    const numbers = await numbering(stack.pool);
    const { rows } = await stack.pool.query<{ orgs: string; invoices: string }>(
      'SELECT count(DISTINCT org)::text AS orgs, count(*)::text AS invoices FROM invoices',
    );
    const oneEach =
      Number(rows[0]!.orgs) === Number(rows[0]!.invoices) && Number(rows[0]!.invoices) === done.invoices.length;
    const sameAgain = again.status === 200 && JSON.stringify(again.invoices) === JSON.stringify(done.invoices);
    const unexpected = ['collector', 'aggregator', 'invoicing', 'api'].reduce(
      (n, s) => n + stack.proc(s).counts.unexpectedExits,
      0,
    );
    if (unexpected > 0) console.error(`a service died by itself:\n${stack.logs()}`);
    const total = sum(sum(folded, billed), priced.lines);
    return {
      name: 'postgres-restart',
      title: 'Postgres crashed mid-fold and mid-close',
      date: new Date().toISOString(),
      faults: `Postgres crashed (immediate stop, ${size.downSeconds} s down) twice while events were folded and ${size.closeCrashes} times during a close; no service restarted by hand`,
      events: hosts.stats.accepted,
      recovered: unexpected === 0 && (done.status === 200 || done.status === 201),
      lost: total.lost,
      doubleCounted: total.doubleCounted,
      figures: {
        'distinct events accepted': hosts.stats.accepted,
        'events re-sent (duplicates)': hosts.stats.resent,
        'host retries by answer': JSON.stringify(hosts.stats.retries),
        'first 202 after each restart (ms)': foldOutages.join(', '),
        'projections: lost, double-counted': `${folded.lost}, ${folded.doubleCounted}`,
        'closes crashed': cut.join('; '),
        'invoices left behind by crashed closes': leftBehind,
        'the close after them: status, invoices, ms to succeed': `${done.status}, ${done.invoices.length}, ${closeRecovered}`,
        'invoice lines: lost, double-billed (events)': `${billed.lost}, ${billed.doubleCounted}`,
        terms: describeTerms(terms),
        'the terms in play (free tier crossed, volume tier reached, minimum, credit)':
          inPlay.length === 0 ? 'yes' : inPlay.join('; '),
        'usage and adjustment lines per SKU against accepted: lost, double-billed (events)': `${priced.lines.lost}, ${priced.lines.doubleCounted}`,
        'lines against the month priced at once': `${priced.keys} line keys, ${priced.repriced.length} differ${priced.repriced.length > 0 ? `: ${priced.repriced.slice(0, 5).join('; ')}` : ''}`,
        'credit lines against the grants; negative totals': `${priced.credited} of ${priced.granted} granted; ${priced.credits.length === 0 ? 'none, all consistent' : priced.credits.slice(0, 5).join('; ')}`,
        'billing verify': v.text,
        'billing verify (s)': Math.round(v.seconds),
        'one invoice per organization': oneEach ? 'yes' : 'no',
        'numbers gapless': `${numbers.gapless ? 'yes' : 'no'} (${numbers.documents} documents)`,
        'closing again answers the same invoices': sameAgain ? 'yes' : 'no',
        'service restarts needed': unexpected,
      },
      passed:
        total.lost === 0 &&
        total.doubleCounted === 0 &&
        folded.events === hosts.stats.accepted &&
        billed.events === hosts.stats.accepted &&
        priced.lines.events === hosts.stats.accepted &&
        priced.repriced.length === 0 &&
        priced.keys > 0 &&
        priced.credits.length === 0 &&
        inPlay.length === 0 &&
        v.ok &&
        oneEach &&
        numbers.gapless &&
        sameAgain &&
        leftBehind === 0 &&
        unexpected === 0 &&
        hosts.serverFaults === 0,
    };
  } catch (e) {
    throw new Error(`${String(e)}\n${stack.logs()}\n--- postgres\n${pg.logTail()}`, { cause: e });
  } finally {
    await stack.stop({ keepDatabase: true });
    await pg.destroy();
  }
}
