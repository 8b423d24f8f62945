export * from './config';
export * from './problem';
export * from './metrics';
export * from './health';
export * from './health.module';
export * from './logger';
export * from './bootstrap';
