export * from './fleet';
export * from './events';
export * from './events-json';
export { seeded } from './random';
