import { DynamicModule, Module } from '@nestjs/common';
import { DbModule } from '@metering/db';
import { createKafka } from '@metering/kafka';
import { MeteringConfig, METERING_CONFIG, ObservabilityModule } from '@metering/service';
import { CloseService } from './close.service';
import { DocumentsService } from './documents.service';
import { INVOICING_KAFKA } from './kafka-admin';
import { OutboxRelay } from './outbox.relay';
import { TermsService } from './terms.service';

/** Billing without HTTP: what the service and the billing CLI share. */
@Module({})
export class InvoicingCoreModule {
  static forConfig(config: MeteringConfig): DynamicModule {
    return {
      module: InvoicingCoreModule,
      imports: [DbModule.forRoot(config.databaseUrl), ObservabilityModule.forService('invoicing')],
      providers: [
        { provide: METERING_CONFIG, useValue: config },
        { provide: INVOICING_KAFKA, useFactory: () => createKafka(config.kafkaBrokers, 'invoicing') },
        CloseService,
        DocumentsService,
        OutboxRelay,
        TermsService,
      ],
      exports: [METERING_CONFIG, INVOICING_KAFKA, CloseService, DocumentsService, OutboxRelay, TermsService],
    };
  }
}
