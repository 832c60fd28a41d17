export * from './create-worker';
export * from './db';
export * from './envelope';
export * from './logger';
export * from './openapi';
export * from './types';
