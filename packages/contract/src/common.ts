import { z } from '@hono/zod-openapi';

/** The standard error envelope every worker returns for every error. */
export const ErrorResponseSchema = z
  .object({
    error: z.object({
      code: z.string().openapi({ example: 'VALIDATION_ERROR' }),
      message: z.string().openapi({ example: 'Request validation failed' }),
      details: z
        .union([z.record(z.string(), z.unknown()), z.array(z.record(z.string(), z.unknown()))])
        .optional()
        .openapi({ description: 'Machine-readable context, e.g. the fields that failed validation' }),
    }),
    requestId: z.string().openapi({ example: '550e8400-e29b-41d4-a716-446655440000' }),
    timestamp: z.string().datetime().openapi({ example: '2026-11-25T12:34:56.000Z' }),
  })
  .openapi('ErrorResponse');

export type ErrorResponse = z.infer<typeof ErrorResponseSchema>;

export const HealthStatusSchema = z.enum(['healthy', 'unhealthy']).openapi('HealthCheckStatus');

export const HealthResponseSchema = z
  .object({
    status: z.enum(['healthy', 'degraded']),
    service: z.string().openapi({ example: 'auth-worker' }),
    version: z.string().openapi({ example: '1.0.0' }),
    timestamp: z.string().datetime(),
    checks: z.record(z.string(), HealthStatusSchema).openapi({
      example: { database: 'healthy', rate_limiter: 'healthy' },
    }),
  })
  .openapi('HealthResponse');

export const UuidSchema = z.string().uuid();

/** Path parameter `{id}` as a uuid. */
export const IdParamSchema = z.object({
  id: z
    .string()
    .uuid()
    .openapi({ param: { name: 'id', in: 'path' }, example: '3f1f8a0e-1d5b-4c59-9f1e-0b8e6f1c2d3a' }),
});

export const PAGE_LIMIT_MAX = 100;

/** Query parameters shared by every list: coerced from strings and bounded. */
export const PaginationQuerySchema = z.object({
  page: z.coerce
    .number()
    .int()
    .min(1)
    .max(10_000)
    .default(1)
    .openapi({ param: { name: 'page', in: 'query' }, example: 1 }),
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(PAGE_LIMIT_MAX)
    .default(20)
    .openapi({ param: { name: 'limit', in: 'query' }, example: 20 }),
});

export const PaginationSchema = z
  .object({
    page: z.number().int(),
    limit: z.number().int(),
    total: z.number().int(),
    totalPages: z.number().int(),
  })
  .openapi('Pagination');

export function paginated<T extends z.ZodTypeAny>(item: T, name: string) {
  return z.object({ items: z.array(item), pagination: PaginationSchema }).openapi(name);
}

export function pagination(page: number, limit: number, total: number) {
  return { page, limit, total, totalPages: Math.ceil(total / limit) };
}

/** Boolean query parameter given as the strings "true"/"false" (z.coerce.boolean would treat "false" as true). */
export const queryBoolean = z.enum(['true', 'false']).transform((v) => v === 'true');

/** Refinement for PATCH bodies: an empty object changes nothing and is refused. */
export const atLeastOneField = [
  (v: object) => Object.keys(v).length > 0,
  { message: 'send at least one field to change' },
] as const;
