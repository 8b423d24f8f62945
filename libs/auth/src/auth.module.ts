import { DynamicModule, Global, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { AuthGuard } from './auth.guard';
import type { MeteringConfig } from '@metering/service';
import { OperatorToken } from './operator-token';
import { RATE_LIMITS, RateLimiter } from './rate-limiter';

/** Installs AuthGuard on every route of the app: a route without an access rule is refused; callers are rate limited. */
@Global()
@Module({})
export class AuthModule {
  static forRoot(config: Pick<MeteringConfig, 'operatorToken' | 'rateLimits'>): DynamicModule {
    return {
      module: AuthModule,
      providers: [
        { provide: OperatorToken, useValue: new OperatorToken(config.operatorToken) },
        { provide: RATE_LIMITS, useValue: config.rateLimits },
        { provide: RateLimiter, useValue: new RateLimiter() },
        { provide: APP_GUARD, useClass: AuthGuard },
      ],
      exports: [OperatorToken],
    };
  }
}
