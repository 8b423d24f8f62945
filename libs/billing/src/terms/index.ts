export * from './types';
export * from './terms';
export * from './pricing';
export * from './credits';
export * from './late';
export * from './describe';
export type { InputFault, Validated } from './input';
export * from './validate-price';
export * from './validate-account';
