import { ERROR_CATALOGUE, ERROR_CODES, type ErrorCode } from '@codex/domain';
import { z } from 'zod';
import { uuid } from './primitives';
import { queryInt } from './query';

const catalogueTable = ERROR_CODES.map(
  (code) => `- \`${code}\` (${ERROR_CATALOGUE[code].status}): ${ERROR_CATALOGUE[code].meaning}`,
).join('\n');

/** Every error code of the catalogue (packages/domain): the client gets it as a string-literal union. */
export const ErrorCodeSchema = z.enum(ERROR_CODES as [ErrorCode, ...ErrorCode[]]).meta({
  id: 'ErrorCode',
  description: `Machine-readable error code. Each operation lists the codes it can return per status.\n\n${catalogueTable}`,
});

const ErrorDetailsSchema = z
  .union([z.record(z.string(), z.unknown()), z.array(z.record(z.string(), z.unknown()))])
  .meta({
    description: 'Machine-readable context, e.g. `[{ field, message, code }]` for the fields that failed validation',
  });

const errorMessage = z
  .string()
  .meta({ description: 'Human-readable; may change, do not parse it', example: 'Request validation failed' });
const requestId = z.string().meta({
  description: 'The x-request-id of the response: quote it when reporting a problem',
  example: '550e8400-e29b-41d4-a716-446655440000',
});
const timestamp = z.iso.datetime().meta({ example: '2026-11-25T12:34:56.000Z' });

/**
 * The standard error envelope every worker returns for every error, `{ error: { code, message, details? },
 * requestId, timestamp }`, for one operation's error status: `error.code` is one of the catalogue's codes and,
 * within it, one of the codes that status of that operation can carry (an enum).
 */
export function errorResponseOf(codes: readonly ErrorCode[]) {
  return z.object({
    error: z.object({
      code: ErrorCodeSchema.and(z.enum(codes as [ErrorCode, ...ErrorCode[]])),
      message: errorMessage,
      details: ErrorDetailsSchema.optional(),
    }),
    requestId,
    timestamp,
  });
}

/** The envelope with any code (what a client can rely on for every error). */
export const ErrorResponseSchema = errorResponseOf(ERROR_CODES);
export type ErrorResponse = z.infer<typeof ErrorResponseSchema>;

export const HealthStatusSchema = z.enum(['healthy', 'unhealthy']).meta({ id: 'HealthCheckStatus' });

export const HealthResponseSchema = z
  .object({
    status: z.enum(['healthy', 'degraded']),
    service: z.string().meta({ example: 'auth-worker' }),
    version: z.string().meta({ example: '1.0.0' }),
    timestamp: z.iso.datetime(),
    checks: z.record(z.string(), HealthStatusSchema).meta({
      example: { configuration: 'healthy', database: 'healthy', rate_limiter: 'healthy' },
    }),
  })
  .meta({ id: 'HealthResponse' });

/** An id in a response: always lower case. */
export const IdSchema = z.uuid().meta({ example: '3f1f8a0e-1d5b-4c59-9f1e-0b8e6f1c2d3a' });

/** A path parameter that is a uuid (any case, normalised to lower case). */
export function uuidParam(name: string, description?: string) {
  return uuid().meta({ param: { name, in: 'path' }, ...(description ? { description } : {}) });
}

/** Path parameter `{id}` as a uuid. */
export const IdParamSchema = z.object({ id: uuidParam('id') });

export const PAGE_LIMIT_MAX = 100;
export const PAGE_MAX = 10_000;

/** Query parameters shared by every list: coerced from strings and bounded. */
export const PaginationQuerySchema = z.object({
  page: queryInt('page', { min: 1, max: PAGE_MAX, default: 1, description: 'Page number, from 1' }),
  limit: queryInt('limit', {
    min: 1,
    max: PAGE_LIMIT_MAX,
    default: 20,
    description: `Items per page (at most ${PAGE_LIMIT_MAX})`,
  }),
});

export const PaginationSchema = z
  .object({
    page: z.number().int().min(1),
    limit: z.number().int().min(1),
    total: z.number().int().min(0).meta({ description: 'Items matching the filters, on all pages' }),
    totalPages: z.number().int().min(0),
  })
  .meta({ id: 'Pagination', example: { page: 1, limit: 20, total: 42, totalPages: 3 } });

export function paginated<T extends z.ZodType>(item: T, name: string) {
  return z.object({ items: z.array(item), pagination: PaginationSchema }).meta({ id: name });
}

export function pagination(page: number, limit: number, total: number) {
  return { page, limit, total, totalPages: Math.ceil(total / limit) };
}

/** A PATCH body: at least one field (stated as minProperties: 1). */
export function patchBody<S extends z.ZodRawShape>(shape: S) {
  return z
    .strictObject(shape)
    .refine((v) => Object.keys(v).length > 0, { message: 'send at least one field to change' })
    .meta({ minProperties: 1 });
}
