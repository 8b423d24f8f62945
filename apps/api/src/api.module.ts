import { DynamicModule, Module } from '@nestjs/common';
import type { Pool } from 'pg';
import { AuthModule } from '@metering/auth';
import { DbModule, PG_POOL, pgReadiness } from '@metering/db';
import {
  HealthController,
  MeteringConfig,
  METERING_CONFIG,
  ObservabilityModule,
  readinessChecks,
} from '@metering/service';
import { AlertsController } from './alerts.controller';
import { MembersController } from './members.controller';
import { OrganizationsController } from './organizations.controller';
import { AuditController } from './audit.controller';
import { CostsController } from './costs.controller';
import { CurrentUsageController } from './current-usage.controller';
import { WhoamiController } from './whoami.controller';
import { InvoicesController } from './invoices.controller';
import { OrgTermsController, PricesController } from './prices.controller';
import { LabelsController } from './labels.controller';
import { UsageController } from './usage.controller';
import { ResourcesController } from './resources.controller';

/** The read side: usage, prices, organizations, members and tokens. */
@Module({})
export class ApiModule {
  static forConfig(config: MeteringConfig): DynamicModule {
    return {
      module: ApiModule,
      imports: [
        DbModule.forRoot(config.databaseUrl),
        AuthModule.forRoot(config),
        ObservabilityModule.forService('api'),
      ],
      controllers: [
        HealthController,
        OrganizationsController,
        MembersController,
        UsageController,
        LabelsController,
        PricesController,
        OrgTermsController,
        InvoicesController,
        AuditController,
        CurrentUsageController,
        WhoamiController,
        CostsController,
        AlertsController,
        ResourcesController,
      ],
      providers: [
        { provide: METERING_CONFIG, useValue: config },
        readinessChecks([PG_POOL], (pool: Pool) => [pgReadiness(pool)]),
      ],
    };
  }
}
