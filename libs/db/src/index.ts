export * from './pool';
export * from './tenancy';
export * from './secrets';
export * from './identity.repository';
export * from './usage.repository';
export * from './price.repository';
export * from './projection.store';
export * from './db.module';
