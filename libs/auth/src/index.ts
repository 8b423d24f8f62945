export * from './access';
export * from './auth.guard';
export * from './operator-token';
export * from './auth.module';
export * from './rate-limiter';
