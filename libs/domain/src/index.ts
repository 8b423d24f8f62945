export * from './org';
export * from './period';
export * from './decimal';
