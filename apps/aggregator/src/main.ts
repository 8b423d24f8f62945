import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { jsonLogger, loadConfig, runService } from '@metering/service';
import { createAggregatorApp } from './app';
import { hostInBoundedWorker, onShutdownRequest } from './bounded-heap';
import { rebuild } from './rebuild';

/**
 * `aggregator` runs the service (as DATABASE_URL, the services' role); `aggregator rebuild`
 * rebuilds the projections and exits (as DATABASE_OWNER_URL: it creates and renames tables).
 */
function main(): void {
  if (process.argv[2] === 'rebuild') {
    const config = loadConfig();
    const logger = jsonLogger('aggregator-rebuild', config.logLevel);
    Logger.overrideLogger(logger);
    rebuild(config).then(
      (report) => {
        logger.log(
          `rebuild done: ${report.events} events in ${report.seconds.toFixed(1)} s; differences ${JSON.stringify(report.differences)}`,
        );
        process.exit(0);
      },
      (e: unknown) => {
        logger.error(`rebuild failed: ${e instanceof Error ? e.message : String(e)}`);
        process.exit(1);
      },
    );
    return;
  }
  runService(
    'aggregator',
    async (config) => {
      const app = await createAggregatorApp(config);
      await app.startAllMicroservices();
      onShutdownRequest(() => app.close());
      return app;
    },
    (c) => c.ports.aggregator,
  );
}

if (!hostInBoundedWorker(__filename)) main();
