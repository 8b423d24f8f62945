import { periodBounds, periodOf } from '@metering/domain';
import { Hosts } from '../hosts';
import { invoiceTally, numbering, projectionTally } from '../invariant';
import type { ScenarioResult } from '../report';
import { ChaosStack, sleep } from '../stack';
import { call, CloseAnswer, Line, retries, Summary, together, verdict, verifyFigure } from '../billing-support';

export interface RacingSize {
  orgs: number;
  /** Distinct events of the previous month, spread over the organizations. */
  events: number;
  /** Closes of the same period fired at once. */
  closes: number;
  batch: number;
}

const DAY_MS = 86_400_000;

interface Doc {
  number: string;
  org: string;
  status?: string;
  credit_note?: string | null;
  invoice?: string;
  lines: Line[];
  total: string;
  content_hash: string;
}

const count = (m: Record<string, number>, k: string | number) => (m[String(k)] = (m[String(k)] ?? 0) + 1);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
/** Decimal strings that are each other's negation (parsing "-x" gives exactly the negation of parsing "x"). */
const negates = (a: string, b: string) => Number(a) === -Number(b);

/** A credit note's lines negate the invoice's exactly: same lines, in order, quantities and amounts negated. */
function negationProblems(invoice: Doc, note: Doc): string[] {
  const p: string[] = [];
  if (note.lines.length !== invoice.lines.length)
    p.push(`${note.number} has ${note.lines.length} lines, ${invoice.number} ${invoice.lines.length}`);
  invoice.lines.forEach((l, i) => {
    const c = note.lines[i];
    if (!c) return;
    const same =
      c.kind === l.kind &&
      c.sku === l.sku &&
      c.usage_period === l.usage_period &&
      c.unit === l.unit &&
      c.unit_price === l.unit_price;
    if (!same || !negates(c.quantity, l.quantity) || !negates(c.amount, l.amount))
      p.push(`line ${i + 1}: ${JSON.stringify(c)} does not negate ${JSON.stringify(l)}`);
  });
  if (!negates(note.total, invoice.total)) p.push(`total ${note.total} does not negate ${invoice.total}`);
  return p;
}

/**
 * Two closes of the same period at once, and a close racing a void: N closes of the previous
 * month fired at once at two invoicing instances, while two voiders hammer INV-000001 (404
 * until the close made it, then one credit note, the same one for every later void).
 */
export async function racingCloses(size: RacingSize): Promise<ScenarioResult> {
  const now = Date.now();
  const current = periodOf(now);
  const previous = periodOf(periodBounds(current).from - 1);
  const prevEnd = periodBounds(current).from;
  const from = Math.max(periodBounds(previous).from, now - 33 * DAY_MS);
  const orgs = Array.from({ length: size.orgs }, (_, i) => `org-${String(i + 1).padStart(4, '0')}`);

  const checks: Record<string, boolean> = {};
  const problems: string[] = [];
  const figures: Record<string, string | number> = {};
  const stack = await ChaosStack.start({
    name: 'racing_closes',
    services: ['api', 'collector', 'aggregator', 'invoicing'],
  });
  try {
    // A second invoicing instance: the closes race across processes too, not only inside one.
    await stack.spawn('invoicing', 'invoicing-2');
    let t = Date.now();
    const token = await stack.seed(orgs);
    figures['organizations'] = orgs.length;
    figures['seeding the organizations (s)'] = Math.round((Date.now() - t) / 1000);
    const hosts = new Hosts(() => stack.url('collector'), token, orgs, `racing-${Date.now().toString(36)}`, {
      resendShare: 0.1,
    });
    // The first organization (INV-000001) also uses every machine size, so its invoice has several lines to negate.
    const first = new Hosts(
      () => stack.url('collector'),
      token,
      [orgs[0]!],
      `racing-first-${Date.now().toString(36)}`,
      { resendShare: 0.1 },
    );
    const previousTime = () => from + Math.floor(Math.random() * (prevEnd - from));
    t = Date.now();
    await Promise.all([
      hosts.flow(size.events, size.batch, 8, previousTime),
      first.flow(Math.max(100, Math.round(size.events / 10)), size.batch, 2, previousTime),
    ]);
    await stack.foldedToEnd();
    figures['ingest and fold (s)'] = Math.round((Date.now() - t) / 1000);

    // The race: N closes at once, spread over both instances, and two voiders of INV-000001.
    const instances = [stack.url('invoicing'), stack.url('invoicing-2')];
    const closeStatuses: Record<string, number> = {};
    const voidStatuses: Record<string, number> = {};
    const voidAnswers: { status: number; number: string; at: number }[] = [];
    /** When each 404 was asked (ms after the race began): none may be asked after a credit note was answered. */
    const notFoundAsked: number[] = [];
    let closesDone = 0;
    let allClosedAt = 0;
    const race = Date.now();
    const oneClose = async (i: number) => {
      const url = instances[i % instances.length]!;
      for (let attempt = 1; ; attempt++) {
        const r = await call(`${url}/v1/billing/periods/${previous}/close`, 'POST', {});
        count(closeStatuses, r.status);
        if (r.status === 200) return { answer: r.body as CloseAnswer, attempts: attempt, ms: Date.now() - race };
        // A clear refusal that a retry may turn into the answer; anything else is a failure.
        const retryable = r.status === 409 || r.status >= 500 || r.status === 0;
        if (!retryable || attempt >= 5) {
          problems.push(`close ${i}: ${r.status} ${JSON.stringify(r.body).slice(0, 200)}`);
          return { answer: null, attempts: attempt, ms: Date.now() - race };
        }
        await sleep(250 * attempt);
      }
    };
    const voider = async (url: string) => {
      let answered = 0;
      for (;;) {
        const asked = Date.now() - race;
        const r = await call(`${url}/v1/billing/invoices/INV-000001/void`, 'POST', { reason: 'chaos: racing-closes' });
        count(voidStatuses, r.status);
        if (r.status === 404) notFoundAsked.push(asked);
        else if (r.status === 200 || r.status === 201) {
          voidAnswers.push({ status: r.status, number: (r.body as Doc).number, at: Date.now() - race });
          answered++;
        } else problems.push(`void: ${r.status} ${JSON.stringify(r.body).slice(0, 200)}`);
        // Until every close has answered, and a few voids of a void invoice after that.
        // (Or, if no close made INV-000001, give up 30 s after the last close answered.)
        if (closesDone === size.closes && (answered >= 3 || Date.now() - allClosedAt > 30_000)) return;
        await sleep(Math.random() * 10);
      }
    };
    const closing = Promise.all(
      Array.from({ length: size.closes }, (_, i) =>
        oneClose(i).finally(() => ++closesDone === size.closes && (allClosedAt = Date.now())),
      ),
    );
    const [closes] = await Promise.all([closing, voider(instances[0]!), voider(instances[1]!)]);

    const durations = closes.map((c) => c.ms);
    figures['concurrent closes'] = `${size.closes} over ${instances.length} invoicing instances`;
    figures['close answers (ms): first / median / last'] =
      `${Math.min(...durations)} / ${median(durations)} / ${Math.max(...durations)}`;
    figures['close statuses (every attempt)'] = JSON.stringify(closeStatuses);
    figures['closes that needed a retry'] = closes.filter((c) => c.attempts > 1).length;
    figures['void statuses (both voiders)'] = JSON.stringify(voidStatuses);
    const created = voidAnswers.filter((a) => a.status === 201);
    figures['first credit note after the race began (ms)'] = created[0]?.at ?? -1;

    const answers = closes.map((c) => c.answer);
    checks['every close answered 200 (after retries, if any)'] = answers.every((a) => a !== null);
    const sets = new Set(answers.map((a) => JSON.stringify(a?.invoices ?? null)));
    figures['distinct invoice sets answered'] = sets.size;
    checks['every close answered the same invoices (numbers and hashes)'] = sets.size === 1;
    const creators = answers.filter((a) => (a?.created ?? 0) > 0);
    checks['exactly one close created the invoices, all of them'] =
      creators.length === 1 && creators[0]!.created === orgs.length;

    // What the database holds: one invoice per organization, the ones the closes answered.
    const { rows: invoices } = await stack.pool.query<Summary>(
      `SELECT number, org, total::text, content_hash FROM invoices WHERE period = $1 ORDER BY seq`,
      [`${previous}-01`],
    );
    const perOrg = new Map<string, number>();
    for (const i of invoices) perOrg.set(i.org, (perOrg.get(i.org) ?? 0) + 1);
    checks['exactly one invoice per organization with usage'] =
      invoices.length === orgs.length && orgs.every((o) => perOrg.get(o) === 1);
    const stored = JSON.stringify(
      invoices.map(({ number, org, total, content_hash }) => ({ number, org, total, content_hash })),
    );
    checks['the answered invoices are the stored ones'] =
      answers[0] !== null && JSON.stringify(answers[0]!.invoices) === stored;

    // The void: one credit note, negating the invoice exactly, the same for every voider.
    const notes = (
      await stack.pool.query<{ number: string; invoice_number: string }>(
        'SELECT number, invoice_number FROM credit_notes ORDER BY seq',
      )
    ).rows;
    checks['exactly one credit note, for INV-000001'] = notes.length === 1 && notes[0]!.invoice_number === 'INV-000001';
    checks['exactly one void created it (201); every other answered it (200)'] =
      created.length === 1 && voidAnswers.every((a) => a.number === notes[0]?.number);
    figures['voids answered with the credit note'] = voidAnswers.length;
    const firstAnswer = Math.min(...voidAnswers.map((a) => a.at));
    checks['voids answered only 404 (before the invoice existed), 201 and 200'] = Object.keys(voidStatuses).every((s) =>
      ['404', '201', '200'].includes(s),
    );
    checks['no void asked after a credit note was answered got a 404'] = notFoundAsked.every((a) => a < firstAnswer);
    const firstOrg = invoices[0]?.org ?? orgs[0]!;
    const invoice = (await call(`${stack.url('api')}/v1/orgs/${firstOrg}/invoices/INV-000001`)).body as Doc;
    const asBilled = (await call(`${instances[1]}/v1/billing/invoices/INV-000001`)).body as Doc;
    checks['INV-000001 reads void through the API and the billing service'] =
      invoice?.status === 'void' && asBilled?.status === 'void' && invoice.credit_note === notes[0]?.number;
    checks['INV-000001 is unchanged by its void'] =
      invoice?.content_hash === invoices[0]?.content_hash && invoice?.total === invoices[0]?.total;
    const note = (await call(`${stack.url('api')}/v1/orgs/${firstOrg}/credit-notes/${notes[0]?.number ?? 'CN-none'}`))
      .body as Doc;
    const negation =
      note?.lines && invoice?.lines
        ? negationProblems(invoice, note)
        : ['the invoice or its credit note could not be read'];
    problems.push(...negation.slice(0, 3));
    checks['the credit note negates every line of INV-000001 exactly'] =
      negation.length === 0 && note.invoice === 'INV-000001';
    figures['credit note'] =
      `${notes[0]?.number ?? 'none'}: ${note?.total ?? '?'} for ${invoice?.total ?? '?'} (${invoice?.lines?.length ?? 0} lines)`;

    const numbers = await numbering(stack.pool);
    checks['numbers are gapless, invoices and credit note from one sequence'] =
      numbers.gapless && numbers.documents === orgs.length + 1;
    figures['documents issued'] = numbers.documents;

    const tally = await invoiceTally(stack.pool, orgs, [previous]);
    checks[`${previous} is invoiced exactly: no second lost, none billed twice`] =
      tally.lost === 0 && tally.doubleCounted === 0 && tally.events === hosts.stats.accepted + first.stats.accepted;
    const projected = await projectionTally(stack.pool, together(hosts, first), orgs);
    checks['the projections hold every accepted event once'] = projected.lost === 0 && projected.doubleCounted === 0;

    // Closing again, on either instance: the same invoices, nothing new.
    for (const url of instances) {
      const again = await call(`${url}/v1/billing/periods/${previous}/close`, 'POST', {});
      checks[
        `closing again (${url === instances[0] ? 'first' : 'second'} instance) answers the same invoices and creates none`
      ] =
        again.status === 200 &&
        (again.body as CloseAnswer).created === 0 &&
        JSON.stringify((again.body as CloseAnswer).invoices) === stored;
    }
    checks['nothing was issued by closing again'] = (await numbering(stack.pool)).documents === numbers.documents;

    const v = await verifyFigure(stack);
    figures['billing verify'] = v.text;
    figures['billing verify (s)'] = Math.round(v.seconds);
    checks['billing verify hashes every invoice the same'] = v.ok;

    const { failed, summary } = verdict(checks, problems);
    return {
      name: 'racing-closes',
      title: 'closes of the same period at once, and a close racing a void',
      date: new Date().toISOString(),
      faults:
        `${size.closes} closes of ${previous} at once over two invoicing instances (${orgs.length} organizations), ` +
        `while two voiders hammer INV-000001 from before it exists`,
      events: hosts.stats.accepted + first.stats.accepted,
      recovered: failed.length === 0,
      lost: tally.lost + projected.lost,
      doubleCounted: tally.doubleCounted + projected.doubleCounted,
      figures: {
        'distinct events accepted': hosts.stats.accepted + first.stats.accepted,
        'events re-sent (duplicates)': hosts.stats.resent + first.stats.resent,
        ...figures,
        'host retries': JSON.stringify(retries(hosts, first)),
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
