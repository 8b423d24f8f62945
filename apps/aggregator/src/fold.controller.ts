import { Controller, Inject, Logger } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { KeyedBatch, PartitionPosition, ProjectionStore } from '@metering/db';
import { ApplyStep, BatchResult, decodeBatch, foldDecoder, KAFKA_BATCH, KafkaBatch, Poison } from '@metering/kafka';
import { foldColumns, UsageColumns, UsageFold } from '@metering/metering';
import { METERING_CONFIG, MeteringConfig } from '@metering/service';
import { AggregatorMetrics } from './aggregator.metrics';
import { AlertEvaluator } from './alert-evaluator';
import { DeadLetters } from './dead-letters';

/** Kafka in, Postgres out: decodes a partition's batch, dead-letters poison, applies the rest exactly once. */
@Controller()
export class FoldController {
  private readonly log = new Logger('fold');
  private readonly decoder = foldDecoder();

  constructor(
    private readonly store: ProjectionStore,
    private readonly deadLetters: DeadLetters,
    private readonly metrics: AggregatorMetrics,
    private readonly alerts: AlertEvaluator,
    @Inject(METERING_CONFIG) private readonly config: MeteringConfig,
  ) {}

  /** Decodes the batch now; returns the step that applies it (see ApplyStep). */
  @EventPattern(KAFKA_BATCH)
  async onBatch(@Payload() batch: KafkaBatch): Promise<ApplyStep> {
    const { columns, corrections, offsets, poison } = decodeBatch(batch.records, this.decoder);
    // Only what the step needs, so that the records themselves can go now.
    const pos = { group: this.config.consumerGroup, topic: batch.topic, partition: batch.partition };
    const { firstOffset, nextOffset, highWatermark } = batch;
    return () =>
      this.apply(pos, { offsets, keys: columns, firstOffset, nextOffset, corrections }, columns, poison, highWatermark);
  }

  private async apply(
    pos: PartitionPosition,
    keyed: KeyedBatch,
    columns: UsageColumns,
    poison: Poison[],
    highWatermark: bigint,
  ): Promise<BatchResult> {
    // Dead letters first: a crash before the commit below re-sends them at worst, never loses them.
    if (poison.length > 0) {
      await this.deadLetters.send(pos.topic, pos.partition, poison);
      this.metrics.poison.inc(poison.length);
    }
    const end = this.metrics.commitSeconds.startTimer();
    // A rerun of the transaction folds again: what the committed run folded is the last.
    let folded: UsageFold | undefined;
    const outcome = await this.store.applyBatch(pos, keyed, (fresh) => (folded = foldColumns(columns, fresh)));
    end();
    if (outcome.status === 'gap') {
      this.log.warn(
        `partition ${pos.partition}: batch starts at ${keyed.firstOffset}, stored position is ${outcome.nextOffset}; seeking back`,
      );
      return { done: false, seekTo: outcome.nextOffset };
    }
    this.metrics.batchApplied(outcome.fresh, outcome.duplicates);
    if (folded && outcome.fresh > 0) this.alerts.changed(folded.hourly);
    if (outcome.corrections) {
      this.metrics.corrections.inc({ outcome: 'applied' }, outcome.corrections.applied);
      this.metrics.corrections.inc({ outcome: 'refused' }, outcome.corrections.refused);
    }
    this.metrics.partitionAt(pos.partition, outcome.nextOffset, highWatermark);
    return { done: true };
  }
}
