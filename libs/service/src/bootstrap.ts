import { DynamicModule, INestApplication, Logger, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';
import type { Registry } from 'prom-client';
import { loadConfig, MeteringConfig } from './config';
import { BoundedExpressAdapter, hangUpOnUnreadBody, refuseNulInTarget } from './http-edge';
import { jsonLogger } from './logger';
import { httpDurationHistogram, METRICS_REGISTRY } from './metrics';
import { ProblemFilter } from './problem';

export interface HttpAppOptions {
  service: string;
  config: MeteringConfig;
}

/**
 * What every service's HTTP side shares: JSON logs, problem details for every error (Node's
 * own refusals included), request latency metrics, bounded time for slow senders (see
 * BoundedExpressAdapter), no reading of refused bodies, graceful shutdown on SIGTERM.
 */
export async function createHttpApp(
  module: Type<unknown> | DynamicModule,
  opts: HttpAppOptions,
): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(module, new BoundedExpressAdapter(), {
    logger: jsonLogger(opts.service, opts.config.logLevel),
    // No body-parser: bodies are read by readBody (request-body.ts), with each service's limits.
    bodyParser: false,
    // Throw instead of exiting: main() reports the reason, tests see the error.
    abortOnError: false,
  });
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  app.useGlobalFilters(new ProblemFilter());
  const histogram = httpDurationHistogram(app.get<Registry>(METRICS_REGISTRY));
  app.use((req: Request, res: Response, next: NextFunction) => {
    const end = histogram.startTimer({ method: req.method });
    res.on('finish', () => {
      // The matched route pattern, not the raw path, keeps label cardinality bounded.
      const route = (req.route as { path?: string } | undefined)?.path ?? 'unmatched';
      end({ route, status: String(res.statusCode) });
    });
    next();
  });
  app.use(hangUpOnUnreadBody);
  app.use(refuseNulInTarget);
  app.enableShutdownHooks();
  if (opts.config.operatorTokenIsDefault) {
    new Logger(opts.service).warn(
      'METERING_OPERATOR_TOKEN is not set: using the public development default; set it before exposing this service',
    );
  }
  return app;
}

/** Listens on the configured address (loopback unless told otherwise) and says where. */
export async function listen(
  app: INestApplication,
  config: MeteringConfig,
  port: number,
  service: string,
): Promise<string> {
  await app.listen(port, config.host);
  const url = await app.getUrl();
  new Logger(service).log(`listening on ${url}`);
  return url;
}

/** A service's main(): config from the environment, the app, listen; a boot failure exits 1 with the reason. */
export function runService(
  service: string,
  create: (config: MeteringConfig) => Promise<INestApplication>,
  port: (config: MeteringConfig) => number,
): void {
  const boot = async () => {
    const config = loadConfig();
    const app = await create(config);
    await listen(app, config, port(config), service);
  };
  boot().catch((e: unknown) => {
    console.error(`${service}: failed to start: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  });
}
