/**
 * The content-api worker's bindings (wrangler.jsonc vars and secrets, KV, R2, the auth service binding), parsed
 * once by the worker toolkit. Handlers read them with `contentConfig(c)`.
 */
import { MIN_SIGNING_SECRET_LENGTH } from '@codex/content';
import { DomainError } from '@codex/domain';
import { baseEnv, binding, isLocalEnvironment, readConfig, requiredSecrets } from '@codex/worker-kit';
import { z } from 'zod';

export const ContentEnv = baseEnv
  .extend({
    /** Signs upload and streaming URLs (a Wrangler secret, ≥ 32 characters). Only development/test fall back. */
    STREAMING_URL_SECRET: z.string().optional(),
    MEDIA_BUCKET: binding<R2Bucket>().optional(),
  })
  .superRefine(requiredSecrets({ STREAMING_URL_SECRET: MIN_SIGNING_SECRET_LENGTH }));
export type ContentConfig = z.output<typeof ContentEnv>;

export const contentConfig = (c: { env: unknown }) => readConfig(ContentEnv, c);

/** Used only when ENVIRONMENT is development or test and no secret is configured. */
const DEVELOPMENT_SIGNING_SECRET = 'codex-development-only-streaming-url-secret-0123456789';

/**
 * The URL-signing secret. Missing or short outside development/test is a deployment error: the routes that sign or
 * verify answer 503 SIGNING_NOT_CONFIGURED (fail closed) and nothing is written.
 */
export function signingSecret(config: ContentConfig): string {
  const secret = config.STREAMING_URL_SECRET;
  if (secret && secret.length >= MIN_SIGNING_SECRET_LENGTH) return secret;
  if (!secret && isLocalEnvironment(config.ENVIRONMENT)) return DEVELOPMENT_SIGNING_SECRET;
  throw new DomainError('SIGNING_NOT_CONFIGURED', 'Signed URLs are not configured');
}

/** The media bucket; its absence is a deployment error (503). */
export function mediaBucket(config: ContentConfig): R2Bucket {
  if (!config.MEDIA_BUCKET) throw new DomainError('STORAGE_UNAVAILABLE', 'Media storage is not bound');
  return config.MEDIA_BUCKET;
}
