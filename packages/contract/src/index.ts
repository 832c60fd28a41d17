export * from './auth';
export * from './common';
export * from './content';
export * from './ecom';
export * from './organizations';
export * from './primitives';
export * from './query';
