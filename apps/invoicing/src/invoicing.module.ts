import { DynamicModule, Module } from '@nestjs/common';
import type { Pool } from 'pg';
import { AuthModule } from '@metering/auth';
import { DbModule, PG_POOL, pgReadiness } from '@metering/db';
import { createKafka, kafkaReadiness } from '@metering/kafka';
import { HealthController, MeteringConfig, METERING_CONFIG, ObservabilityModule, readinessChecks } from '@metering/service';

/** Period close, void, reconcile. For now: the service's frame (health, metrics, auth). */
@Module({})
export class InvoicingModule {
  static forConfig(config: MeteringConfig): DynamicModule {
    const kafka = createKafka(config.kafkaBrokers, 'invoicing');
    return {
      module: InvoicingModule,
      imports: [
        DbModule.forRoot(config.databaseUrl),
        AuthModule.forRoot(config.operatorToken),
        ObservabilityModule.forService('invoicing'),
      ],
      controllers: [HealthController],
      providers: [
        { provide: METERING_CONFIG, useValue: config },
        readinessChecks([PG_POOL], (pool: Pool) => [pgReadiness(pool), kafkaReadiness(kafka)]),
      ],
    };
  }
}
