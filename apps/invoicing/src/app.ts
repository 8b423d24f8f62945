import type { NestExpressApplication } from '@nestjs/platform-express';
import { createHttpApp, MeteringConfig } from '@metering/service';
import { InvoicingModule } from './invoicing.module';

export async function createInvoicingApp(config: MeteringConfig): Promise<NestExpressApplication> {
  const app = await createHttpApp(InvoicingModule.forConfig(config), { service: 'invoicing', config });
  app.useBodyParser('json', { limit: '100kb' });
  return app;
}
