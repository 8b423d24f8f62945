import type { Server } from 'node:http';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { createHttpApp, MeteringConfig, refuseOversizeBeforeContinue } from '@metering/service';
import { CollectorModule } from './collector.module';
import { MAX_BODY_BYTES } from './events.controller';
import { ShutdownDrain } from './shutdown-drain';

export async function createCollectorApp(config: MeteringConfig): Promise<NestExpressApplication> {
  const app = await createHttpApp(CollectorModule.forConfig(config), { service: 'collector', config });
  app.use(app.get(ShutdownDrain).middleware);
  refuseOversizeBeforeContinue(app.getHttpServer() as Server, MAX_BODY_BYTES);
  return app;
}
