export * from './client';
export * from './topics';
export * from './schema-file';
export * from './usage-codec';
export * from './billing-codec';
export * from './usage-producer';
export * from './batch-consumer.server';
