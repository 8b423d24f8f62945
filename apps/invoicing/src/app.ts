import type { NestExpressApplication } from '@nestjs/platform-express';
import { createHttpApp, jsonBody, MeteringConfig } from '@metering/service';
import { InvoicingModule } from './invoicing.module';

export async function createInvoicingApp(config: MeteringConfig): Promise<NestExpressApplication> {
  const app = await createHttpApp(InvoicingModule.forConfig(config), { service: 'invoicing', config });
  app.use(jsonBody(100 * 1024));
  return app;
}
