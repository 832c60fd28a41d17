export * from './errors';
export * from './common';
export { z } from '@hono/zod-openapi';
