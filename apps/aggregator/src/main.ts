import 'reflect-metadata';
import { runService } from '@metering/service';
import { createAggregatorApp } from './app';

runService(
  'aggregator',
  async (config) => {
    const app = await createAggregatorApp(config);
    await app.startAllMicroservices();
    return app;
  },
  (c) => c.ports.aggregator,
);
