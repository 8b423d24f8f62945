import { DynamicModule, Inject, Module, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { Kafka } from 'kafkajs';
import type { Pool } from 'pg';
import { DbModule, PG_POOL, pgReadiness, ProjectionStore } from '@metering/db';
import { BatchConsumerServer, createKafka } from '@metering/kafka';
import {
  HealthController,
  MeteringConfig,
  METERING_CONFIG,
  ObservabilityModule,
  readinessChecks,
} from '@metering/service';
import { AggregatorMetrics } from './aggregator.metrics';
import { AlertEvaluator } from './alert-evaluator';
import { DeadLetters } from './dead-letters';
import { FoldController } from './fold.controller';

const KAFKA = Symbol('KAFKA');
const MAINTENANCE_MS = 3_600_000;

/** Keeps the seen-id partitions for the dedup window and drops the expired ones. */
class SeenWindow implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer: NodeJS.Timeout | undefined;
  constructor(@Inject(ProjectionStore) private readonly store: ProjectionStore) {}
  async onApplicationBootstrap(): Promise<void> {
    await this.tick();
    this.timer = setInterval(() => void this.tick().catch(() => undefined), MAINTENANCE_MS).unref();
  }
  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }
  private async tick(): Promise<void> {
    await this.store.ensureSeenWindow(Date.now());
    await this.store.dropExpiredSeen(Date.now());
  }
}

class DeadLettersLifecycle implements OnApplicationShutdown {
  constructor(@Inject(DeadLetters) private readonly deadLetters: DeadLetters) {}
  async onApplicationShutdown(): Promise<void> {
    await this.deadLetters.stop();
  }
}

/** Kafka in, Postgres out. The consumer itself is a Nest transport (BatchConsumerServer). */
@Module({})
export class AggregatorModule {
  static forConfig(config: MeteringConfig): DynamicModule {
    return {
      module: AggregatorModule,
      imports: [
        // The planner's estimates for a batch's statements can pass the JIT threshold, and
        // compiling them costs more than running them.
        DbModule.forRoot(config.databaseUrl, { options: '-c jit=off' }),
        ObservabilityModule.forService('aggregator'),
      ],
      controllers: [HealthController, FoldController],
      providers: [
        { provide: METERING_CONFIG, useValue: config },
        { provide: KAFKA, useFactory: () => createKafka(config.kafkaBrokers, 'aggregator') },
        {
          provide: DeadLetters,
          inject: [KAFKA],
          useFactory: (kafka: Kafka) => new DeadLetters(kafka, config.topics.dlq),
        },
        AggregatorMetrics,
        AlertEvaluator,
        {
          provide: BatchConsumerServer,
          inject: [KAFKA, ProjectionStore, AggregatorMetrics],
          useFactory: (kafka: Kafka, store: ProjectionStore, metrics: AggregatorMetrics) =>
            new BatchConsumerServer({
              kafka,
              brokers: config.kafkaBrokers,
              groupId: config.consumerGroup,
              topic: config.topics.usage,
              storedOffsets: () => store.storedOffsets(config.consumerGroup, config.topics.usage),
              onAssignment: () => metrics.assigned(),
            }),
        },
        DeadLettersLifecycle,
        SeenWindow,
        readinessChecks([PG_POOL, BatchConsumerServer], (pool: Pool, consumer: BatchConsumerServer) => [
          pgReadiness(pool),
          {
            name: 'kafka-consumer',
            check: async () => {
              if (!consumer.isRunning) throw new Error('consumer not running');
              if (!consumer.isAssigned) throw new Error('consumer not in its group yet (joining or rebalancing)');
            },
          },
        ]),
      ],
    };
  }
}
