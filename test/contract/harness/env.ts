/** Binding overrides for failure cases (local platform only). */

/** The database is configured but cannot be reached (connection refused at once, through any driver path). */
export const DATABASE_UNREACHABLE: Record<string, unknown> = {
  EMBEDDED_DB: undefined,
  DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none',
  NEON_WS_PROXY: '127.0.0.1:1/v1',
};

/** No static assets binding (the Scalar bundle cannot be served). */
export const NO_ASSETS: Record<string, unknown> = { ASSETS: undefined };

/** A setting the worker's configuration schema refuses (not one of its environments). */
export const INVALID_CONFIGURATION: Record<string, unknown> = { ENVIRONMENT: 'not-an-environment' };
