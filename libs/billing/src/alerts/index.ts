export * from './threshold';
export * from './alert-amount';
export * from './backoff';
export * from './signature';
export * from './address';
export * from './alert-event';
