import { DynamicModule, Global, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { AuthGuard } from './auth.guard';
import { OperatorToken } from './operator-token';

/** Installs AuthGuard on every route of the app: a route without an access rule is refused. */
@Global()
@Module({})
export class AuthModule {
  static forRoot(operatorToken: string): DynamicModule {
    return {
      module: AuthModule,
      providers: [{ provide: OperatorToken, useValue: new OperatorToken(operatorToken) }, { provide: APP_GUARD, useClass: AuthGuard }],
      exports: [OperatorToken],
    };
  }
}
