import { Inject, Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { METRICS_REGISTRY } from '@metering/service';

const RATE_WINDOW_MS = 10_000;

/** What the aggregator reports on /metrics: throughput, commit latency, and how far behind it is. */
@Injectable()
export class AggregatorMetrics {
  readonly folded: Counter;
  readonly duplicates: Counter;
  readonly poison: Counter;
  readonly corrections: Counter;
  readonly commitSeconds: Histogram;
  private readonly lag: Gauge<'partition'>;
  /** (time, folded so far) per batch over the last window, for the per-second rate. */
  private readonly recent: [number, number][] = [];
  private total = 0;

  constructor(@Inject(METRICS_REGISTRY) registry: Registry) {
    this.folded = new Counter({
      name: 'aggregator_events_folded_total',
      help: 'New events added to the projections',
      registers: [registry],
    });
    this.duplicates = new Counter({
      name: 'aggregator_events_duplicate_total',
      help: 'Re-sent events counted before, skipped',
      registers: [registry],
    });
    this.poison = new Counter({
      name: 'aggregator_events_dead_lettered_total',
      help: 'Records sent to the dead-letter topic',
      registers: [registry],
    });
    this.corrections = new Counter({
      name: 'aggregator_corrections_total',
      help: 'Corrections folded, by outcome (applied, or refused: it would have taken its hour below zero)',
      labelNames: ['outcome'],
      registers: [registry],
    });
    this.commitSeconds = new Histogram({
      name: 'aggregator_batch_commit_seconds',
      help: 'Time to apply one partition batch in its Postgres transaction (dedup, projections, offset, commit)',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    });
    this.lag = new Gauge({
      name: 'aggregator_partition_lag',
      help: 'Records of the partition not folded yet, as of the last batch (high watermark minus stored position)',
      labelNames: ['partition'],
      registers: [registry],
    });
    const recent = this.recent;
    new Gauge({
      name: 'aggregator_events_folded_per_second',
      help: `New events folded per second over the last ${RATE_WINDOW_MS / 1000} s`,
      registers: [registry],
      collect() {
        // The oldest sample kept is the last one at or before the window's start: the baseline.
        const now = Date.now();
        while (recent.length > 1 && now - recent[1]![0] >= RATE_WINDOW_MS) recent.shift();
        const base = recent[0];
        const last = recent[recent.length - 1];
        this.set(base && last && now > base[0] ? ((last[1] - base[1]) * 1000) / (now - base[0]) : 0);
      },
    });
  }

  batchApplied(fresh: number, duplicates: number): void {
    this.folded.inc(fresh);
    this.duplicates.inc(duplicates);
    const now = Date.now();
    if (this.recent.length === 0) this.recent.push([now, this.total]);
    this.total += fresh;
    this.recent.push([now, this.total]);
    while (this.recent.length > 1 && now - this.recent[1]![0] >= RATE_WINDOW_MS) this.recent.shift();
  }

  partitionAt(partition: number, nextOffset: bigint, highWatermark: bigint): void {
    const behind = highWatermark - nextOffset;
    this.lag.set({ partition: String(partition) }, Number(behind > 0n ? behind : 0n));
  }

  /** Forgets the lag of partitions this instance may no longer own; each next batch sets it again. */
  assigned(): void {
    this.lag.reset();
  }
}
