import type { Context } from 'hono';

/**
 * An absolute URL of one of this worker's routes, with its path parameters filled in and the signed query
 * parameters appended, on the host the caller used.
 */
export function signedUrl(
  c: Context,
  pathTemplate: string,
  params: Record<string, string>,
  query: Record<string, string | number>,
): string {
  const path = pathTemplate.replace(/\{([^}]+)\}/g, (_, name: string) => encodeURIComponent(params[name] ?? ''));
  const url = new URL(path, new URL(c.req.url).origin);
  for (const [k, v] of Object.entries(query)) url.searchParams.set(k, String(v));
  return url.toString();
}
