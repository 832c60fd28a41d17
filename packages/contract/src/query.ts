/**
 * Query parameters. They arrive as strings and are coerced; the contract states their real type, bounds and
 * default, and whether they are required. Unknown query parameters are ignored (the contract's policy, stated in
 * the docs), so a link decorated with tracking parameters keeps working.
 */
import { z } from 'zod';

export interface QueryIntOptions {
  min: number;
  max: number;
  /** Optional parameter with this default; without it the parameter is required. */
  default?: number;
  description?: string;
}

export function queryInt(name: string, options: QueryIntOptions) {
  const base = z.coerce.number().int().min(options.min).max(options.max);
  const param = { name, in: 'query' as const, required: options.default === undefined };
  const meta = { param, ...(options.description ? { description: options.description } : {}) };
  return options.default === undefined
    ? base.meta(meta)
    : base.default(options.default).meta({ ...meta, example: options.default });
}

/** An enum query parameter; make it `.optional()` or `.default(…)` as needed (the contract follows). */
export function queryEnum<const T extends readonly [string, ...string[]]>(
  name: string,
  values: T,
  options: { description?: string } = {},
) {
  return z.enum(values).meta({ param: { name, in: 'query' }, ...options });
}
