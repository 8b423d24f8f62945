import { DynamicModule, Inject, Module, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { Pool } from 'pg';
import { AuthModule } from '@metering/auth';
import { DbModule, PG_POOL, pgReadiness } from '@metering/db';
import { UsageProducer } from '@metering/kafka';
import {
  HealthController,
  MeteringConfig,
  METERING_CONFIG,
  ObservabilityModule,
  readinessChecks,
} from '@metering/service';
import { CollectorMetrics } from './collector-metrics';
import { EventsController } from './events.controller';
import { IngestService } from './ingest.service';
import { OrgDirectory } from './org-directory';
import { ShutdownDrain } from './shutdown-drain';

// Runs after Nest closed the HTTP server, i.e. after every request in flight was answered:
// whatever they produced is acknowledged by then, and stop() waits for anything still queued.
class ProducerLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(@Inject(UsageProducer) private readonly producer: UsageProducer) {}
  onApplicationBootstrap(): void {
    this.producer.start();
  }
  async onApplicationShutdown(): Promise<void> {
    await this.producer.stop();
  }
}

/** HTTP in, Kafka out. */
@Module({})
export class CollectorModule {
  static forConfig(config: MeteringConfig): DynamicModule {
    return {
      module: CollectorModule,
      imports: [
        DbModule.forRoot(config.databaseUrl),
        AuthModule.forRoot(config),
        ObservabilityModule.forService('collector'),
      ],
      controllers: [HealthController, EventsController],
      providers: [
        { provide: METERING_CONFIG, useValue: config },
        CollectorMetrics,
        {
          provide: UsageProducer,
          inject: [CollectorMetrics],
          useFactory: (metrics: CollectorMetrics) =>
            new UsageProducer({
              brokers: config.kafkaBrokers,
              topic: config.topics.usage,
              clientId: 'collector',
              onSend: metrics.onSend,
            }),
        },
        ProducerLifecycle,
        ShutdownDrain,
        OrgDirectory,
        IngestService,
        readinessChecks([PG_POOL, UsageProducer], (pool: Pool, producer: UsageProducer) => [
          pgReadiness(pool),
          { name: 'kafka', check: () => producer.checkReady() },
        ]),
      ],
      exports: [UsageProducer],
    };
  }
}
