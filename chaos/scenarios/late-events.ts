import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { Pool } from 'pg';
import { Period, periodBounds, periodOf } from '@metering/domain';
import { CloseService } from '../../apps/invoicing/src/close.service';
import { InvoicingCoreModule } from '../../apps/invoicing/src/invoicing-core.module';
import {
  call,
  CloseAnswer,
  describeTerms,
  putTerms,
  retries,
  ScenarioTerms,
  stackConfig,
  TermsLine as Line,
  together,
  verdict,
  verifyFigure,
} from '../billing-support';
import { Batch, Hosts } from '../hosts';
import { acceptedByMonth, invoiceTally, numbering, projectionTally, Tally, termsTally, TermsTally } from '../invariant';
import type { ScenarioResult } from '../report';
import { ChaosStack, operatorCall } from '../stack';

export interface LateSize {
  /** Distinct events of the last two days of the previous month, sent before it is closed. */
  onTime: number;
  /** Distinct events of the same days, sent after the close. */
  late: number;
  /** Distinct events of the current month, sent interleaved with the late ones. */
  current: number;
  batch: number;
}

const ORGS = ['acme', 'globex', 'hooli', 'initech', 'stark', 'umbrella'];
const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

/**
 * Seconds of one (org, SKU) in `n` of the hosts' events: event k is of org k mod 6 and size
 * k mod 4, so each org has two of the four sizes and the 12 (org, SKU) pairs share the events.
 */
const perPair = (n: number) => Math.round(n / 12) * 60;
const cents = (usd: number) => (Math.round(usd * 100) / 100).toFixed(2);
/** List prices per second of the two sizes umbrella's and initech's hosts run (migration 1795300000002). */
const LIST_2X = 0.0000015 + 0.0000248;

/**
 * The commercial terms of the scenario's organizations, from the first hour of the month
 * before (not yet closed), sized so that the boundaries fall where they must:
 * - acme, machine.runtime/shared-cpu-1x: graduated, free up to half its on-time seconds, so the
 *   month's on-time usage crosses the boundary; the paid tier's price changes 12 h before the
 *   month ends, where the usage is (tiers count across it);
 * - hooli, machine.runtime/performance-1x: graduated, free up to halfway between its on-time
 *   seconds and those with the late ones: only the late usage pushes it across;
 * - globex, machine.runtime/shared-cpu-2x: volume, the cheaper tier from that same point, so
 *   the late usage reprices all of its month lower (a negative adjustment at the old price);
 * - initech: a monthly minimum three times what its month will cost at list prices;
 * - umbrella: two credit grants, one expiring as the month ends (still usable for it, drawn
 *   first), the other without expiry; together 1.2 times its on-time month.
 */
export function lateTerms(size: LateSize, previous: Period): ScenarioTerms {
  const from = periodBounds(previous).from;
  const end = periodBounds(previous).to;
  const onTime = perPair(size.onTime);
  const withLate = onTime + perPair(size.late);
  const crossedOnTime = String(Math.round(onTime / 2));
  const crossedLate = String(Math.round((onTime + withLate) / 2));
  const owed = onTime * LIST_2X;
  return {
    prices: [
      {
        org: 'acme',
        sku: 'machine.runtime/shared-cpu-1x',
        from,
        mode: 'graduated',
        tiers: [
          { up_to: crossedOnTime, unit_price: '0' },
          { up_to: null, unit_price: '0.00002' },
        ],
      },
      {
        org: 'acme',
        sku: 'machine.runtime/shared-cpu-1x',
        from: end - 12 * HOUR_MS,
        mode: 'graduated',
        tiers: [
          { up_to: crossedOnTime, unit_price: '0' },
          { up_to: null, unit_price: '0.000025' },
        ],
      },
      {
        org: 'hooli',
        sku: 'machine.runtime/performance-1x',
        from,
        mode: 'graduated',
        tiers: [
          { up_to: crossedLate, unit_price: '0' },
          { up_to: null, unit_price: '0.00003' },
        ],
      },
      {
        org: 'globex',
        sku: 'machine.runtime/shared-cpu-2x',
        from,
        mode: 'volume',
        tiers: [
          { up_to: crossedLate, unit_price: '0.0001' },
          { up_to: null, unit_price: '0.00007' },
        ],
      },
    ],
    commitments: [{ org: 'initech', from: previous, minimum: cents(Math.max(1, 3 * withLate * LIST_2X)) }],
    credits: [
      { org: 'umbrella', amount: cents(0.5 * owed), reason: `chaos: expires as ${previous} ends`, expiresAt: end },
      { org: 'umbrella', amount: cents(0.7 * owed), reason: 'chaos: without expiry' },
    ],
  };
}

/** What must show on the invoices for the terms to have been in play; the faults, one per term. */
function termsInPlay(
  previous: Period,
  current: Period,
  invoiceOf: (org: string, period: Period) => { lines: Line[]; total: string } | undefined,
): string[] {
  const faults: string[] = [];
  const lines = (org: string, period: Period) => invoiceOf(org, period)?.lines ?? [];
  const at = (l: Line, sku: string, usagePeriod: Period, price?: (p: number) => boolean) =>
    l.sku === sku && l.usage_period === usagePeriod && (price === undefined || price(Number(l.unit_price)));
  const acme = lines('acme', previous);
  if (
    !acme.some((l) => l.kind === 'usage' && at(l, 'machine.runtime/shared-cpu-1x', previous, (p) => p === 0)) ||
    !acme.some((l) => l.kind === 'usage' && at(l, 'machine.runtime/shared-cpu-1x', previous, (p) => p > 0))
  )
    faults.push(`acme's ${previous} invoice has no usage line on each side of its free tier`);
  const hooliPrev = lines('hooli', previous).filter((l) => at(l, 'machine.runtime/performance-1x', previous));
  const hooliLate = lines('hooli', current).filter(
    (l) => l.kind === 'adjustment' && at(l, 'machine.runtime/performance-1x', previous, (p) => p > 0),
  );
  if (hooliPrev.some((l) => Number(l.unit_price) > 0) || hooliLate.length === 0)
    faults.push(`hooli's late usage did not take it past its free tier (as adjustments on ${current})`);
  const globex = lines('globex', current).filter(
    (l) => l.kind === 'adjustment' && at(l, 'machine.runtime/shared-cpu-2x', previous),
  );
  if (!globex.some((l) => Number(l.quantity) < 0) || !globex.some((l) => Number(l.quantity) > 0))
    faults.push(`globex's late usage did not reprice its volume tier (a negative and a positive adjustment)`);
  const initechMin = lines('initech', previous).filter((l) => l.kind === 'minimum');
  const initechLate = lines('initech', current).filter((l) => l.kind === 'minimum' && l.usage_period === previous);
  if (initechMin.length !== 1 || initechLate.length !== 1 || Number(initechLate[0]!.amount) >= 0)
    faults.push(`initech has no minimum on ${previous}, or no lower minimum for it on ${current}`);
  const umbrellaPrev = invoiceOf('umbrella', previous);
  const umbrellaCur = lines('umbrella', current);
  if (
    umbrellaPrev?.lines.filter((l) => l.kind === 'credit').length !== 2 ||
    umbrellaPrev.total !== '0.00' ||
    umbrellaCur.filter((l) => l.kind === 'credit').length !== 1
  )
    faults.push(`umbrella's credits did not cover ${previous} with both grants and part of ${current} with the rest`);
  return faults;
}

const termsFigure = (t: TermsTally) =>
  `${t.keys} line keys; ${t.repriced.length} differ; credit ${t.credited} of ${t.granted} granted; ${t.credits.length} credit or total faults`;

interface Difference {
  org: string;
  usage_period: string;
  /** null for the month's minimum, whose amount late usage changes too */
  sku: string | null;
  projected: string;
  billed: string;
}

/** Seconds per `org|YYYY-MM|sku` of everything these hosts had accepted. */
export function secondsByPeriod(hosts: Hosts): Map<string, number> {
  const out = new Map<string, number>();
  for (const [key, cell] of hosts.expected()) {
    const [org, hour, sku] = key.split('|') as [string, string, string];
    const k = `${org}|${hour.slice(0, 7)}|${sku}`;
    out.set(k, (out.get(k) ?? 0) + cell.quantity);
  }
  return out;
}

/** Sends the batches again, `concurrency` at a time, each until acknowledged. */
async function resendAll(hosts: Hosts, batches: readonly Batch[], concurrency: number): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < batches.length) await hosts.resend(batches[next++]!);
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

/**
 * Compares one invoice's (or preview's) lines with what it must hold: seconds per
 * `kind|usage_period|sku`, and one line per (kind, sku, usage period, unit price).
 */
function lineProblems(what: string, lines: readonly Line[], expected: Map<string, number>): string[] {
  const problems: string[] = [];
  const got = new Map<string, number>();
  const keys = new Map<string, number>();
  for (const l of lines) {
    const k = `${l.kind}|${l.usage_period}|${l.sku}`;
    got.set(k, (got.get(k) ?? 0) + Number(l.quantity));
    if (l.kind !== 'usage' && l.kind !== 'adjustment') continue;
    const lk = `${k}|${l.unit_price}`;
    keys.set(lk, (keys.get(lk) ?? 0) + 1);
  }
  for (const [k, n] of keys) if (n !== 1) problems.push(`${what}: ${n} lines for ${k}`);
  for (const k of new Set([...got.keys(), ...expected.keys()])) {
    const g = got.get(k) ?? 0;
    const e = expected.get(k) ?? 0;
    if (g !== e) problems.push(`${what}: ${k} has ${g} s, expected ${e} s`);
  }
  return problems;
}

/** The expected lines of `org`'s invoice for `period`, from per-`org|YYYY-MM|sku` seconds by kind. */
function expectedLines(
  org: string,
  parts: { kind: 'usage' | 'adjustment'; seconds: Map<string, number> }[],
): Map<string, number> {
  const out = new Map<string, number>();
  for (const { kind, seconds } of parts) {
    for (const [k, s] of seconds) {
      const [o, period, sku] = k.split('|') as [string, string, string];
      if (o !== org) continue;
      const key = `${kind}|${period}|${sku}`;
      out.set(key, (out.get(key) ?? 0) + s);
    }
  }
  return out;
}

/** Every invoice line of these organizations, per invoice, and the invoices per (org, period). */
async function invoicesInDb(pool: Pool, orgs: readonly string[]) {
  const { rows } = await pool.query<{
    number: string;
    org: string;
    period: string;
    content_hash: string;
    total: string;
    kind: Line['kind'];
    usage_period: string;
    sku: string | null;
    quantity: string | null;
    unit_price: string | null;
    amount: string;
  }>(
    `SELECT i.number, i.org, to_char(i.period, 'YYYY-MM') AS period, i.content_hash, i.total::text, l.kind, to_char(l.usage_period, 'YYYY-MM') AS usage_period,
            l.sku, l.quantity::text, l.unit_price::text, l.amount::text
       FROM invoices i JOIN invoice_lines l ON l.invoice_number = i.number WHERE i.org = ANY($1) ORDER BY i.seq, l.line_no`,
    [orgs],
  );
  const byOrgPeriod = new Map<string, Set<string>>();
  const lines = new Map<string, Line[]>();
  const totals = new Map<string, string>();
  for (const r of rows) {
    const k = `${r.org}|${r.period}`;
    byOrgPeriod.set(k, (byOrgPeriod.get(k) ?? new Set()).add(r.number));
    lines.set(r.number, [...(lines.get(r.number) ?? []), r]);
    totals.set(r.number, r.total);
  }
  /** The one invoice of `org` for `period`, if there is exactly one. */
  const invoiceOf = (org: string, period: string) => {
    const numbers = [...(byOrgPeriod.get(`${org}|${period}`) ?? [])];
    return numbers.length === 1 ? { lines: lines.get(numbers[0]!)!, total: totals.get(numbers[0]!)! } : undefined;
  };
  return { byOrgPeriod, lines, invoiceOf };
}

const sumOf = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
const clean = (t: Tally) => t.lost === 0 && t.doubleCounted === 0;

/**
 * Late and out-of-order events across a closed period. Hosts send the last two days of the
 * previous month (out of order, some batches two or three times); the period is closed over
 * HTTP; then more events of those days arrive late, interleaved with events of the current
 * month and sent again and again. They must show as reconcile differences and as adjustment
 * lines of the current month's running bill, once; and once the current month is closed, each
 * late second must stand in exactly one adjustment line.
 */
export async function lateEvents(size: LateSize): Promise<ScenarioResult> {
  const now = Date.now();
  const current = periodOf(now);
  const previous = periodOf(periodBounds(current).from - 1);
  const prevEnd = periodBounds(current).from;
  // The last ~2 days of the previous month, within the collector's 35-day window.
  const lateFrom = Math.max(prevEnd - 2 * DAY_MS, now - 34 * DAY_MS);
  const previousTime = () => {
    const r = Math.random();
    // Some batches on the very edges of the month: its last millisecond, and the window's start.
    if (r < 0.03) return prevEnd - 1;
    if (r < 0.05) return lateFrom;
    return lateFrom + Math.floor(Math.random() * (prevEnd - lateFrom));
  };
  const currentTime = () => {
    const latest = Math.max(prevEnd, now - 60_000);
    return Math.random() < 0.05 ? prevEnd : prevEnd + Math.floor(Math.random() * (latest - prevEnd + 1));
  };

  const checks: Record<string, boolean> = {};
  const problems: string[] = [];
  const figures: Record<string, string | number> = {};
  const stack = await ChaosStack.start({
    name: 'late_events',
    services: ['api', 'collector', 'aggregator', 'invoicing'],
  });
  try {
    const token = await stack.seed(ORGS);
    // Contract prices (graduated and volume tiers), a minimum and credits, before any usage flows.
    const terms = lateTerms(size, previous);
    await putTerms(stack.pool, terms);
    figures['terms'] = describeTerms(terms);
    const stamp = Date.now().toString(36);
    const collector = () => stack.url('collector');
    const onTime = new Hosts(collector, token, ORGS, `late-ontime-${stamp}`, { resendShare: 0.2 });
    const late = new Hosts(collector, token, ORGS, `late-late-${stamp}`, { resendShare: 0.3 });
    const cur = new Hosts(collector, token, ORGS, `late-current-${stamp}`, { resendShare: 0.2 });
    const inv = stack.url('invoicing');

    // 1. The last two days of the previous month, out of order, some batches sent two or three times.
    let t = Date.now();
    await onTime.flow(size.onTime, size.batch, 8, previousTime);
    await stack.foldedToEnd();
    figures['on-time ingest and fold (s)'] = Math.round((Date.now() - t) / 1000);

    // 2. Close it over HTTP.
    t = Date.now();
    const firstClose = (await operatorCall(`${inv}/v1/billing/periods/${previous}/close`, {})) as CloseAnswer;
    figures[`close of ${previous} over HTTP (ms)`] = Date.now() - t;
    figures[`invoices of ${previous}`] = firstClose.invoices.length;
    checks['the close invoices every organization once'] =
      firstClose.created === ORGS.length && new Set(firstClose.invoices.map((i) => i.org)).size === ORGS.length;
    checks[`right after its close, ${previous} is billed exactly`] = clean(
      await invoiceTally(stack.pool, ORGS, [previous]),
    );
    const firstTerms = await termsTally(stack.pool, acceptedByMonth(onTime), ORGS, [previous]);
    problems.push(...firstTerms.repriced.slice(0, 3), ...firstTerms.credits.slice(0, 3));
    checks[
      `right after its close, ${previous}'s lines are its usage priced under the terms, credits within the grants`
    ] = clean(firstTerms.lines) && firstTerms.repriced.length === 0 && firstTerms.credits.length === 0;

    // 3. Late events of the closed month, interleaved with the current month's, out of order and re-sent.
    t = Date.now();
    await Promise.all([
      late.flow(size.late, size.batch, 4, previousTime),
      cur.flow(size.current, size.batch, 4, currentTime),
    ]);
    await stack.foldedToEnd();
    figures['late + current ingest and fold (s)'] = Math.round((Date.now() - t) / 1000);

    const onTimeS = secondsByPeriod(onTime);
    const lateS = secondsByPeriod(late);
    const curS = secondsByPeriod(cur);
    figures['late seconds'] = sumOf(lateS);

    // 4. Reconcile shows exactly the late usage; each preview of the current month bills it once.
    const observe = async () => {
      const reconcile = ((await operatorCall(`${inv}/v1/billing/reconcile`)) as { differences: Difference[] })
        .differences;
      const previews: Record<string, Line[]> = {};
      for (const org of ORGS)
        previews[org] = (
          (await operatorCall(`${inv}/v1/billing/preview?org=${org}&period=${current}`)) as { lines: Line[] }
        ).lines;
      return { reconcile, previews };
    };
    const checkObserved = (when: string, o: Awaited<ReturnType<typeof observe>>) => {
      const want = new Map<string, string>();
      for (const [k, s] of lateS) want.set(k, `${(onTimeS.get(k) ?? 0) + s}/${onTimeS.get(k) ?? 0}`);
      // Quantities per SKU; a minimum's difference (sku null) is money only, checked by the terms tally.
      const got = new Map(
        o.reconcile
          .filter((d) => d.sku !== null)
          .map((d) => [`${d.org}|${d.usage_period}|${d.sku}`, `${Number(d.projected)}/${Number(d.billed)}`]),
      );
      const bad = [...new Set([...want.keys(), ...got.keys()])].filter((k) => want.get(k) !== got.get(k));
      for (const k of bad.slice(0, 5))
        problems.push(
          `${when}, reconcile ${k}: ${got.get(k) ?? 'absent'}, expected ${want.get(k) ?? 'absent'} (projected/billed)`,
        );
      checks[`${when}: reconcile shows exactly the late usage`] = bad.length === 0 && got.size === lateS.size;
      let ok = true;
      for (const org of ORGS) {
        const p = lineProblems(
          `${when}, preview ${org} ${current}`,
          o.previews[org]!,
          expectedLines(org, [
            { kind: 'adjustment', seconds: lateS },
            { kind: 'usage', seconds: curS },
          ]),
        );
        problems.push(...p.slice(0, 3));
        ok &&= p.length === 0;
      }
      checks[`${when}: the previews of ${current} bill the late usage once, as adjustments`] = ok;
    };
    const first = await observe();
    checkObserved('after the late events', first);
    const adjustmentTotal = Object.values(first.previews)
      .flat()
      .filter((l) => l.kind === 'adjustment')
      .reduce((s, l) => s + Math.round(Number(l.amount) * 100), 0);
    figures['adjustments on the running bills (USD)'] = (adjustmentTotal / 100).toFixed(2);

    // 5. Some late batches again after that check, then every one of them: nothing may change.
    const some = late.acceptedBatches.filter(() => Math.random() < 0.25);
    const resentBefore = late.stats.resent;
    await resendAll(late, some, 4);
    await resendAll(late, late.acceptedBatches, 4);
    figures['late events re-sent after the check'] = late.stats.resent - resentBefore;
    await stack.foldedToEnd();
    const second = await observe();
    checkObserved('after re-sending every late batch', second);
    checks['re-sending every late batch changes neither reconcile nor the previews'] =
      JSON.stringify(first) === JSON.stringify(second);
    const projected = await projectionTally(stack.pool, together(onTime, late, cur), ORGS);
    checks['the projections hold every accepted event once'] =
      clean(projected) && projected.events === onTime.stats.accepted + late.stats.accepted + cur.stats.accepted;

    // 6. Close the current month as if it had ended, in this process, as the billing CLI does.
    const config = stackConfig(stack);
    const app = await NestFactory.createApplicationContext(InvoicingCoreModule.forConfig(config), {
      logger: ['error', 'warn'],
      abortOnError: false,
    });
    let closeCurrent: CloseAnswer;
    try {
      t = Date.now();
      closeCurrent = await app.get(CloseService).close(current, { now: periodBounds(current).to });
      figures[`close of ${current} in-process, as if it had ended (ms)`] = Date.now() - t;
    } finally {
      await app.close();
    }
    figures[`invoices of ${current}`] = closeCurrent.invoices.length;
    checks[`the close of ${current} invoices every organization once`] = closeCurrent.created === ORGS.length;

    // 7. Every accepted second billed once: on-time as usage of its month, late as one adjustment.
    const all = onTime.stats.accepted + late.stats.accepted + cur.stats.accepted;
    const tally = await invoiceTally(stack.pool, ORGS, [previous, current]);
    checks['invoiced exactly: no second lost, none billed twice'] = clean(tally);
    checks['the tally covers every accepted event'] =
      tally.events === onTime.stats.accepted + late.stats.accepted + cur.stats.accepted;
    const reconcileAfter = ((await operatorCall(`${inv}/v1/billing/reconcile`)) as { differences: Difference[] })
      .differences;
    checks['reconcile is empty once both months are closed'] = reconcileAfter.length === 0;
    const db = await invoicesInDb(stack.pool, ORGS);
    let linesOk = true;
    for (const org of ORGS) {
      const prev = [...(db.byOrgPeriod.get(`${org}|${previous}`) ?? [])];
      const cu = [...(db.byOrgPeriod.get(`${org}|${current}`) ?? [])];
      if (prev.length !== 1 || cu.length !== 1) {
        problems.push(`${org}: ${prev.length} invoices for ${previous}, ${cu.length} for ${current}`);
        linesOk = false;
        continue;
      }
      const p = [
        ...lineProblems(
          `${prev[0]} (${org} ${previous})`,
          db.lines.get(prev[0]!)!,
          expectedLines(org, [{ kind: 'usage', seconds: onTimeS }]),
        ),
        ...lineProblems(
          `${cu[0]} (${org} ${current})`,
          db.lines.get(cu[0]!)!,
          expectedLines(org, [
            { kind: 'adjustment', seconds: lateS },
            { kind: 'usage', seconds: curS },
          ]),
        ),
      ];
      problems.push(...p.slice(0, 3));
      linesOk &&= p.length === 0;
    }
    checks[
      `each late second stands in exactly one adjustment line of ${current}; no usage line of ${current} holds ${previous} usage`
    ] = linesOk;
    const inPlay = termsInPlay(previous, current, db.invoiceOf);
    problems.push(...inPlay);
    checks[
      'the terms are in play: a free tier crossed on time and by late usage, a volume tier reached late, a minimum, credits'
    ] = inPlay.length === 0;
    const priced = await termsTally(stack.pool, acceptedByMonth(together(onTime, late, cur)), ORGS, [
      previous,
      current,
    ]);
    problems.push(...priced.repriced.slice(0, 5), ...priced.credits.slice(0, 5));
    figures['invoice lines against each month priced at once'] = termsFigure(priced);
    checks['each accepted second in exactly one usage or adjustment line, per SKU'] =
      clean(priced.lines) && priced.lines.events === all;
    checks[
      `each month's lines over all invoices equal pricing its final usage at once, per (SKU, unit price) and minimum, to the cent`
    ] = priced.repriced.length === 0 && priced.keys > 0;
    checks['credit lines within the grants and equal to what the closes drew; no invoice total negative'] =
      priced.credits.length === 0;
    const allLines = [...db.lines.values()].flat();
    figures['adjustment lines'] = allLines.filter((l) => l.kind === 'adjustment').length;
    figures['usage lines'] = allLines.filter((l) => l.kind === 'usage').length;

    // 8. Closing the previous month again changes nothing.
    const hashes = async () =>
      (
        await stack.pool.query<{ s: string }>(
          `SELECT string_agg(number || ':' || content_hash, ',' ORDER BY seq) AS s FROM invoices`,
        )
      ).rows[0]!.s;
    const before = await hashes();
    const againPrev = (await operatorCall(`${inv}/v1/billing/periods/${previous}/close`, {})) as CloseAnswer;
    checks[`closing ${previous} again answers the same invoices and creates none`] =
      againPrev.created === 0 && JSON.stringify(againPrev.invoices) === JSON.stringify(firstClose.invoices);
    const currentOpen = await call(`${inv}/v1/billing/periods/${current}/close`, 'POST', {});
    checks[`an HTTP close of ${current}, not ended by the clock, is refused with 409`] = currentOpen.status === 409;
    checks['no invoice changed or appeared'] = (await hashes()) === before;
    const numbers = await numbering(stack.pool);
    checks['numbers are gapless'] = numbers.gapless && numbers.documents === 2 * ORGS.length;
    figures['documents issued'] = numbers.documents;

    // 9. The invoices follow from the log: projections rebuilt from Kafka, every close replayed.
    const v = await verifyFigure(stack);
    figures['billing verify'] = v.text;
    figures['billing verify (s)'] = Math.round(v.seconds);
    checks['billing verify hashes every invoice the same'] = v.ok;

    const { failed, summary } = verdict(checks, problems);
    return {
      name: 'late-events',
      title: 'late and out-of-order events across a closed period: they become adjustments, once',
      date: new Date().toISOString(),
      faults:
        `${late.stats.accepted.toLocaleString('en-US')} events of ${previous} arrive after it was closed, out of order and interleaved with ` +
        `${cur.stats.accepted.toLocaleString('en-US')} events of ${current}; ${(onTime.stats.resent + late.stats.resent + cur.stats.resent).toLocaleString('en-US')} events sent again, every late batch at least twice`,
      events: all,
      recovered: failed.length === 0,
      lost: tally.lost + projected.lost + priced.lines.lost,
      doubleCounted: tally.doubleCounted + projected.doubleCounted + priced.lines.doubleCounted,
      figures: {
        'distinct events accepted (on time / late / current month)': `${onTime.stats.accepted} / ${late.stats.accepted} / ${cur.stats.accepted}`,
        'events re-sent (duplicates)': onTime.stats.resent + late.stats.resent + cur.stats.resent,
        ...figures,
        'host retries': JSON.stringify(retries(onTime, late, cur)),
        ...summary,
      },
      passed: failed.length === 0,
    };
  } catch (e) {
    throw new Error(`${String(e)}\n${stack.logs()}`, { cause: e });
  } finally {
    await stack.stop();
  }
}
