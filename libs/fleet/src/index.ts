export * from './fleet';
export * from './events';
export { seeded } from './random';
