export * from './decimal';
export * from './period';
export * from './price-book';
export * from './invoice';
export * from './numbers';
