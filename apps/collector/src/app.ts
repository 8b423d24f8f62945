import type { NestExpressApplication } from '@nestjs/platform-express';
import { createHttpApp, MeteringConfig } from '@metering/service';
import { CollectorModule } from './collector.module';

export async function createCollectorApp(config: MeteringConfig): Promise<NestExpressApplication> {
  return createHttpApp(CollectorModule.forConfig(config), { service: 'collector', config });
}
