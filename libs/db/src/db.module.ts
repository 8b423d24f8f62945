import {
  DynamicModule,
  Global,
  Inject,
  Logger,
  Module,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import type { Pool, PoolConfig } from 'pg';
import { AlertRepository } from './alert.repository';
import { AuditRepository } from './audit.repository';
import { BillingLock } from './billing-lock';
import { BillingRepository } from './billing.repository';
import { CommercialTermsRepository } from './commercial-terms.repository';
import { CostRepository } from './cost.repository';
import { DocumentsRepository } from './documents.repository';
import { IdentityRepository } from './identity.repository';
import { OutboxRepository } from './outbox.repository';
import { createPool, PG_POOL } from './pool';
import { ProjectionStore } from './projection.store';
import { schemaAlteringRole, schemaAlteringRoleWarning } from './roles';
import { TimeZoneRepository } from './time-zone.repository';
import { TermsRepository } from './terms.repository';
import { UsageRepository } from './usage.repository';
import { WebhookDeliveryRepository } from './webhook-delivery.repository';
import { ResourceRepository } from './resource.repository';
import { CorrectionsRepository } from './corrections.repository';
import { LabelsRepository } from './labels.repository';

class PoolCloser implements OnApplicationShutdown {
  constructor(@Inject(PG_POOL) private readonly pool: Pool) {}
  async onApplicationShutdown(): Promise<void> {
    await this.pool.end();
  }
}

/**
 * Says once, at start, when the services' connection could alter the schema (and so get past
 * the invoice triggers). Never holds the start: Postgres being down is the readiness check's
 * business.
 */
class ServiceRoleCheck implements OnApplicationBootstrap {
  constructor(@Inject(PG_POOL) private readonly pool: Pool) {}
  onApplicationBootstrap(): void {
    schemaAlteringRole(this.pool).then(
      (role) => {
        if (role !== null) new Logger('postgres').warn(schemaAlteringRoleWarning(role));
      },
      () => undefined,
    );
  }
}

/** The Postgres pool and the repositories over it, for the whole app. */
@Global()
@Module({})
export class DbModule {
  static forRoot(databaseUrl: string, pool: Partial<PoolConfig> = {}): DynamicModule {
    const providers = [
      { provide: PG_POOL, useFactory: () => createPool(databaseUrl, pool) },
      PoolCloser,
      ServiceRoleCheck,
      IdentityRepository,
      UsageRepository,
      ProjectionStore,
      BillingRepository,
      DocumentsRepository,
      OutboxRepository,
      BillingLock,
      AuditRepository,
      CostRepository,
      TimeZoneRepository,
      TermsRepository,
      CommercialTermsRepository,
      AlertRepository,
      WebhookDeliveryRepository,
      ResourceRepository,
      CorrectionsRepository,
      LabelsRepository,
    ];
    return {
      module: DbModule,
      providers,
      exports: [
        PG_POOL,
        IdentityRepository,
        UsageRepository,
        ProjectionStore,
        BillingRepository,
        DocumentsRepository,
        OutboxRepository,
        BillingLock,
        AuditRepository,
        CostRepository,
        TimeZoneRepository,
        TermsRepository,
        CommercialTermsRepository,
        AlertRepository,
        WebhookDeliveryRepository,
        ResourceRepository,
        CorrectionsRepository,
        LabelsRepository,
      ],
    };
  }
}
