import { Controller, Inject, Logger } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { Counter, Histogram, Registry } from 'prom-client';
import { allSkus, region, UsageEvent } from '@metering/catalog';
import { ProjectionStore } from '@metering/db';
import { BatchResult, decodeUsageEvent, KAFKA_BATCH, KafkaBatch } from '@metering/kafka';
import { foldHourly } from '@metering/metering';
import { METERING_CONFIG, MeteringConfig, METRICS_REGISTRY } from '@metering/service';
import { DeadLetters, Poison } from './dead-letters';

const KNOWN_SKUS = new Set(allSkus().map((s) => s.sku));
const DECIMAL = /^(0|[1-9]\d*)(\.\d*[1-9])?$/;

/** Why a decoded event cannot be folded, or null when it can. */
export function unfoldable(e: UsageEvent): string | null {
  if (!KNOWN_SKUS.has(e.sku)) return `unknown sku '${e.sku}'`;
  if (!region(e.region)) return `unknown region '${e.region}'`;
  if (!DECIMAL.test(e.quantity)) return `quantity '${e.quantity}' is not a canonical decimal`;
  if (!Number.isFinite(e.time)) return 'time is not a number';
  return null;
}

/** Kafka in, Postgres out: decodes a partition's batch, dead-letters poison, applies the rest exactly once. */
@Controller()
export class FoldController {
  private readonly log = new Logger('fold');
  private readonly folded: Counter;
  private readonly duplicates: Counter;
  private readonly commitSeconds: Histogram;

  constructor(
    private readonly store: ProjectionStore,
    private readonly deadLetters: DeadLetters,
    @Inject(METERING_CONFIG) private readonly config: MeteringConfig,
    @Inject(METRICS_REGISTRY) registry: Registry,
  ) {
    this.folded = new Counter({ name: 'aggregator_events_folded_total', help: 'New events added to the projections', registers: [registry] });
    this.duplicates = new Counter({ name: 'aggregator_events_duplicate_total', help: 'Re-sent events counted before, skipped', registers: [registry] });
    this.commitSeconds = new Histogram({
      name: 'aggregator_batch_commit_seconds',
      help: 'Time to apply one batch in its Postgres transaction',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    });
  }

  @EventPattern(KAFKA_BATCH)
  async onBatch(@Payload() batch: KafkaBatch): Promise<BatchResult> {
    const items: { offset: bigint; event: UsageEvent }[] = [];
    const poison: Poison[] = [];
    for (const m of batch.messages) {
      if (!m.value) {
        poison.push({ message: m, reason: 'empty value' });
        continue;
      }
      try {
        const { event } = decodeUsageEvent(m.value);
        const why = unfoldable(event);
        if (why) poison.push({ message: m, reason: why });
        else items.push({ offset: m.offset, event });
      } catch (e) {
        poison.push({ message: m, reason: `not a UsageEvent: ${e instanceof Error ? e.message : String(e)}` });
      }
    }
    // Dead letters first: a crash before the commit below re-sends them at worst, never loses them.
    if (poison.length > 0) await this.deadLetters.send(batch.topic, batch.partition, poison);
    const end = this.commitSeconds.startTimer();
    const outcome = await this.store.applyBatch(
      { group: this.config.consumerGroup, topic: batch.topic, partition: batch.partition },
      items,
      batch.firstOffset,
      batch.nextOffset,
      (fresh) => foldHourly(fresh),
    );
    end();
    if (outcome.status === 'gap') {
      this.log.warn(`partition ${batch.partition}: batch starts at ${batch.firstOffset}, stored position is ${outcome.nextOffset}; seeking back`);
      return { done: false, seekTo: outcome.nextOffset };
    }
    this.folded.inc(outcome.fresh);
    this.duplicates.inc(outcome.duplicates);
    return { done: true };
  }
}
