export * from './fold';
export * from './quantity';
export * from './event-key';
export * from './usage-columns';
export * from './series-table';
