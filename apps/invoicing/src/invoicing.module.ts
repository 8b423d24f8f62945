import { DynamicModule, Module } from '@nestjs/common';
import type { Kafka } from 'kafkajs';
import type { Pool } from 'pg';
import { AuthModule } from '@metering/auth';
import { PG_POOL, pgReadiness } from '@metering/db';
import { kafkaReadiness } from '@metering/kafka';
import { HealthController, MeteringConfig, readinessChecks } from '@metering/service';
import { BillingController } from './billing.controller';
import { InvoicingCoreModule } from './invoicing-core.module';
import { TermsController } from './terms.controller';
import { CorrectionsController } from './corrections.controller';
import { INVOICING_KAFKA } from './kafka-admin';
import { WebhookDeliverer } from './webhook-deliverer';

/** The invoicing service: period close, void, preview, reconcile over HTTP, the outbox relay and the alert webhooks. */
@Module({})
export class InvoicingModule {
  static forConfig(config: MeteringConfig): DynamicModule {
    return {
      module: InvoicingModule,
      imports: [InvoicingCoreModule.forConfig(config), AuthModule.forRoot(config)],
      controllers: [HealthController, BillingController, TermsController, CorrectionsController],
      providers: [
        WebhookDeliverer,
        readinessChecks([PG_POOL, INVOICING_KAFKA], (pool: Pool, kafka: Kafka) => [
          pgReadiness(pool),
          kafkaReadiness(kafka),
        ]),
      ],
    };
  }
}
