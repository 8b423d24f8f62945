export * from './price-book';
export * from './terms';
export * from './invoice';
export * from './numbers';
export * from './documents';
export * from './billing-event';
export * from './close-decision';
export * from './void-decision';
