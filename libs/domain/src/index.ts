export * from './org';
export * from './decimal';
