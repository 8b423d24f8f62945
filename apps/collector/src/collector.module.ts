import { DynamicModule, Inject, Module, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { Pool } from 'pg';
import { AuthModule } from '@metering/auth';
import { DbModule, PG_POOL, pgReadiness } from '@metering/db';
import { createKafka, UsageProducer } from '@metering/kafka';
import { HealthController, MeteringConfig, METERING_CONFIG, ObservabilityModule, readinessChecks } from '@metering/service';
import { EventsController } from './events.controller';
import { IngestService } from './ingest.service';
import { OrgDirectory } from './org-directory';

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
        AuthModule.forRoot(config.operatorToken),
        ObservabilityModule.forService('collector'),
      ],
      controllers: [HealthController, EventsController],
      providers: [
        { provide: METERING_CONFIG, useValue: config },
        {
          provide: UsageProducer,
          useFactory: () => new UsageProducer(createKafka(config.kafkaBrokers, 'collector'), config.topics.usage),
        },
        ProducerLifecycle,
        OrgDirectory,
        IngestService,
        readinessChecks([PG_POOL, UsageProducer], (pool: Pool, producer: UsageProducer) => [
          pgReadiness(pool),
          {
            name: 'kafka',
            check: async () => {
              if (!producer.isConnected) throw new Error('producer not connected');
            },
          },
        ]),
      ],
      exports: [UsageProducer],
    };
  }
}
