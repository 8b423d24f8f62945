import { DynamicModule, InjectionToken, Module, Provider } from '@nestjs/common';
import { READINESS_CHECKS, ReadinessCheck } from './health';
import { createRegistry, METRICS_REGISTRY } from './metrics';

/** The service's metrics registry, global so that every provider can register its own metrics. */
@Module({})
export class ObservabilityModule {
  static forService(service: string): DynamicModule {
    const registry: Provider = { provide: METRICS_REGISTRY, useFactory: () => createRegistry(service) };
    return { module: ObservabilityModule, global: true, providers: [registry], exports: [registry] };
  }
}

/**
 * What /health/ready checks, built from the app's own providers. An app lists HealthController
 * among its controllers and this among its providers.
 */
export function readinessChecks<D extends unknown[]>(
  inject: InjectionToken[],
  useFactory: (...deps: D) => ReadinessCheck[],
): Provider {
  return { provide: READINESS_CHECKS, inject, useFactory: useFactory as (...deps: unknown[]) => ReadinessCheck[] };
}
