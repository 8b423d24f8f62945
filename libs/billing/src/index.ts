export * from './period';
export * from './price-book';
export * from './invoice';
export * from './numbers';
export * from './terms';
