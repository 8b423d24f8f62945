import type { NestExpressApplication } from '@nestjs/platform-express';
import { createHttpApp, MeteringConfig } from '@metering/service';
import { ApiModule } from './api.module';
import { mountOpenApi } from './openapi';

export async function createApiApp(config: MeteringConfig): Promise<NestExpressApplication> {
  const app = await createHttpApp(ApiModule.forConfig(config), { service: 'api', config });
  app.useBodyParser('json', { limit: '100kb' });
  mountOpenApi(app);
  return app;
}
