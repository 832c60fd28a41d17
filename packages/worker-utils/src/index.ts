export * from './types';
export * from './envelope';
export * from './logger';
export * from './db';
export * from './openapi';
export * from './create-worker';
