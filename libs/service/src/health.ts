import { Controller, Get, Header, HttpCode, Inject, Res, SetMetadata } from '@nestjs/common';
import type { Response } from 'express';
import type { Registry } from 'prom-client';
import { METRICS_REGISTRY } from './metrics';

/** Something a service needs to do its job (its Postgres pool, its Kafka producer or consumer). */
export interface ReadinessCheck {
  name: string;
  /** Resolves when the dependency is usable now; rejects (or times out) otherwise. */
  check(): Promise<void>;
}

export const READINESS_CHECKS = Symbol('READINESS_CHECKS');

/** Marks routes that need no token (health and metrics, scraped by the platform). */
export const PUBLIC_ROUTE = 'metering:public-route';
export const PublicRoute = () => SetMetadata(PUBLIC_ROUTE, true);

const CHECK_TIMEOUT_MS = 2000;

async function run(check: ReadinessCheck): Promise<{ name: string; ok: boolean; error?: string }> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      check.check(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
      }),
    ]);
    return { name: check.name, ok: true };
  } catch (e) {
    return { name: check.name, ok: false, error: e instanceof Error ? e.message : String(e) };
  } finally {
    clearTimeout(timer);
  }
}

@PublicRoute()
@Controller()
export class HealthController {
  constructor(
    @Inject(READINESS_CHECKS) private readonly checks: ReadinessCheck[],
    @Inject(METRICS_REGISTRY) private readonly registry: Registry,
  ) {}

  @Get('health/live')
  @HttpCode(200)
  live() {
    return { status: 'ok' };
  }

  @Get('health/ready')
  async ready(@Res() res: Response) {
    const results = await Promise.all(this.checks.map(run));
    const ok = results.every((r) => r.ok);
    res.status(ok ? 200 : 503).json({ status: ok ? 'ready' : 'not ready', checks: results });
  }

  @Get('metrics')
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  metrics() {
    return this.registry.metrics();
  }
}
