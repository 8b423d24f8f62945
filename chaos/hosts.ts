import type { HostEvent } from '@metering/fleet';
import { sleep } from './stack';

const REGIONS = ['ord', 'fra', 'sin', 'gru', 'syd', 'jnb'];
const SIZES = ['shared-cpu-1x', 'shared-cpu-2x', 'performance-1x', 'performance-2x'];
const HOUR_MS = 3_600_000;

/** A batch of distinct events: the k-th event of a run is a pure function of (prefix, k), so nothing needs keeping. */
export interface Batch {
  from: number;
  size: number;
  /** Epoch ms of every event in it. */
  time: number;
}

export interface HostStats {
  batches: number;
  /** Distinct events acknowledged with 202. */
  accepted: number;
  /** Events sent again after their 202, as a host does when the answer is lost. */
  resent: number;
  /** Answers other than 202 (or no answer) that made a host try again, by status ('network' for none). */
  retries: Record<string, number>;
}

/**
 * Platform hosts posting usage to the collector as the contract asks them to: a batch is sent
 * until it is acknowledged (202), waiting out 503 and 429 (`Retry-After`) and lost connections;
 * some acknowledged batches are sent again, once or twice, as when the answer was lost.
 * Knows exactly which events were accepted, to check the projections against.
 */
export class Hosts {
  readonly acceptedBatches: Batch[] = [];
  readonly stats: HostStats = { batches: 0, accepted: 0, resent: 0, retries: {} };
  /** 503 answers that said no `Retry-After`: the contract asks for one with every 503. */
  missingRetryAfter = 0;
  private next = 0;

  constructor(
    private readonly collector: () => string,
    private readonly token: string,
    private readonly orgs: readonly string[],
    private readonly prefix: string,
    private readonly opts: { resendShare?: number; giveUpAfterMs?: number } = {},
  ) {}

  event(k: number, time: number): HostEvent {
    return {
      specversion: '1.0',
      id: `${this.prefix}-${k}`,
      source: `host/chaos-${k % 16}`,
      type: 'machine.runtime',
      time: new Date(time).toISOString(),
      data: {
        org: this.orgs[k % this.orgs.length]!,
        app: `app-${k % 3}`,
        resource: `m_${k % 1000}`,
        region: REGIONS[k % REGIONS.length]!,
        size: SIZES[k % SIZES.length]!,
        quantity: 60,
      },
    };
  }

  events(b: Batch): HostEvent[] {
    return Array.from({ length: b.size }, (_, i) => this.event(b.from + i, b.time));
  }

  /** Sends one new batch of `size` events at `time` until it is accepted, then maybe again. */
  async send(size: number, time = Date.now()): Promise<void> {
    const batch: Batch = { from: this.next, size, time };
    this.next += size;
    this.stats.batches++;
    const events = this.events(batch);
    await this.deliver(events);
    this.acceptedBatches.push(batch);
    this.stats.accepted += size;
    const share = this.opts.resendShare ?? 0.1;
    if (Math.random() < share) {
      const times = Math.random() < 0.5 ? 1 : 2;
      for (let i = 0; i < times; i++) {
        await this.deliver(events);
        this.stats.resent += size;
      }
    }
  }

  /** Sends an earlier accepted batch again, later: a host retrying from its spool after a restart. */
  async resendEarlier(): Promise<void> {
    if (this.acceptedBatches.length === 0) return;
    const b = this.acceptedBatches[Math.floor(Math.random() * this.acceptedBatches.length)]!;
    await this.deliver(this.events(b));
    this.stats.resent += b.size;
  }

  /** Sends an accepted batch again, until acknowledged: a host whose answer was lost, or that re-sends its spool. */
  async resend(b: Batch): Promise<void> {
    await this.deliver(this.events(b));
    this.stats.resent += b.size;
  }

  /** `concurrency` hosts sending `total` events in batches of `size`; `time` gives each batch's event time. */
  /** What the hosts did, as a scenario's figures: events accepted and re-sent, retries by answer. */
  figures(): Record<string, number | string> {
    return {
      'distinct events accepted': this.stats.accepted,
      'events re-sent (duplicates)': this.stats.resent,
      'host retries by answer': JSON.stringify(this.stats.retries),
    };
  }

  /** Answers in the 5xx range other than 503: an outage must read as "try again", never as a fault of the server. */
  get serverFaults(): number {
    return Object.entries(this.stats.retries).reduce(
      (n, [status, count]) => (/^5\d\d$/.test(status) && status !== '503' ? n + count : n),
      0,
    );
  }

  async flow(
    total: number,
    size: number,
    concurrency: number,
    time: (batchIndex: number) => number = () => Date.now(),
    ratePerSecond = Infinity,
  ): Promise<void> {
    const started = Date.now();
    let sent = 0;
    let index = 0;
    const worker = async () => {
      while (sent < total) {
        const n = Math.min(size, total - sent);
        sent += n;
        const due = started + (sent / ratePerSecond) * 1000;
        if (due > Date.now()) await sleep(due - Date.now());
        await this.send(n, time(index++));
        if (Math.random() < 0.02) await this.resendEarlier();
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
  }

  private async deliver(events: HostEvent[]): Promise<void> {
    const body = JSON.stringify(events);
    const giveUp = Date.now() + (this.opts.giveUpAfterMs ?? 300_000);
    let backoff = 100;
    for (;;) {
      let status = 'network';
      let retryAfter = 0;
      try {
        const res = await fetch(`${this.collector()}/v1/events`, {
          method: 'POST',
          headers: { authorization: `Bearer ${this.token}`, 'content-type': 'application/json' },
          body,
          signal: AbortSignal.timeout(30_000),
        });
        const text = await res.text();
        if (res.status === 202) {
          const answer = JSON.parse(text) as { accepted: number; rejected: unknown[] };
          if (answer.accepted !== events.length)
            throw new Error(`the collector rejected part of a valid batch: ${text.slice(0, 300)}`);
          return;
        }
        if (res.status !== 503 && res.status !== 429 && res.status < 500)
          throw new Error(`the collector answered ${res.status} to a valid batch: ${text.slice(0, 300)}`);
        status = String(res.status);
        retryAfter = Number(res.headers.get('retry-after') ?? 0);
        if (res.status === 503 && !res.headers.get('retry-after')) this.missingRetryAfter++;
      } catch (e) {
        if (e instanceof Error && e.message.startsWith('the collector')) throw e;
      }
      this.stats.retries[status] = (this.stats.retries[status] ?? 0) + 1;
      if (Date.now() > giveUp)
        throw new Error(
          `a batch was not accepted within ${this.opts.giveUpAfterMs ?? 300_000} ms (last answer: ${status})`,
        );
      await sleep(Math.max(retryAfter * 1000 * (0.5 + Math.random() / 2), backoff * (0.5 + Math.random())));
      backoff = Math.min(backoff * 2, 2_000);
    }
  }

  /** What the projections must hold: events and seconds per (org, hour, sku) of every accepted batch. */
  expected(): Map<string, { events: number; quantity: number }> {
    const out = new Map<string, { events: number; quantity: number }>();
    for (const b of this.acceptedBatches) {
      const hour = new Date(Math.floor(b.time / HOUR_MS) * HOUR_MS).toISOString();
      for (let k = b.from; k < b.from + b.size; k++) {
        const key = `${this.orgs[k % this.orgs.length]}|${hour}|machine.runtime/${SIZES[k % SIZES.length]}`;
        const cell = out.get(key) ?? { events: 0, quantity: 0 };
        cell.events++;
        cell.quantity += 60;
        out.set(key, cell);
      }
    }
    return out;
  }
}
