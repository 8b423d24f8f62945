import type { NestExpressApplication } from '@nestjs/platform-express';
import { BatchConsumerServer } from '@metering/kafka';
import { createHttpApp, MeteringConfig } from '@metering/service';
import { AggregatorModule } from './aggregator.module';

/** The aggregator: a batch consumer (a Nest transport) plus HTTP for health and metrics. */
export async function createAggregatorApp(config: MeteringConfig): Promise<NestExpressApplication> {
  const app = await createHttpApp(AggregatorModule.forConfig(config), { service: 'aggregator', config });
  app.connectMicroservice({ strategy: app.get(BatchConsumerServer) }, { inheritAppConfig: true });
  return app;
}
