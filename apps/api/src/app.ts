import type { NestExpressApplication } from '@nestjs/platform-express';
import { createHttpApp, jsonBody, MeteringConfig } from '@metering/service';
import { ApiModule } from './api.module';
import { mountDashboard } from './dashboard';
import { mountOpenApi } from './openapi';

export async function createApiApp(config: MeteringConfig): Promise<NestExpressApplication> {
  const app = await createHttpApp(ApiModule.forConfig(config), { service: 'api', config });
  app.use(jsonBody(100 * 1024));
  mountOpenApi(app);
  mountDashboard(app);
  return app;
}
