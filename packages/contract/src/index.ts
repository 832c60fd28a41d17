export { z } from '@hono/zod-openapi';
export * from './auth';
export * from './common';
export * from './content';
export * from './ecom';
export * from './errors';
export * from './organizations';
