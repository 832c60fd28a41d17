import { signingSecret } from '@codex/content';
import type { AppBindings, AppEnv } from '@codex/worker-kit';
import { apiPolicy } from '@codex/worker-kit';
import type { Context } from 'hono';

/** The content-api worker's bindings: the shared ones plus the URL-signing secret (a Wrangler secret). */
export interface ContentBindings extends AppBindings {
  /** Signs upload and streaming URLs (≥ 32 characters). Only development/test fall back to a built-in value. */
  STREAMING_URL_SECRET?: string;
}

/** One tag for the worker (content, media, access). */
export const TAG = 'Content';

/** Session first, then the per-user API limit (as the identity worker does). */
export const signedIn = apiPolicy('required');
export const anyone = apiPolicy('optional');

export const secretOf = (c: Context<AppEnv>) => signingSecret(c.env as ContentBindings);

/** Absolute URLs handed to clients point at the host they called. */
export const baseUrlOf = (c: Context<AppEnv>) => new URL(c.req.url).origin;

export function bucketOf(c: Context<AppEnv>): R2Bucket {
  const bucket = c.env.MEDIA_BUCKET;
  if (!bucket) throw new Error('MEDIA_BUCKET is not bound');
  return bucket;
}
