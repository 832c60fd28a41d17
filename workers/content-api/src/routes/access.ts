import { ContentAccessService, readStored } from '@codex/content';
import {
  ALLOWED_MIME_TYPES,
  ContentIdParamSchema,
  PlaybackProgressInputSchema,
  PlaybackProgressSchema,
  StreamingUrlQuerySchema,
  StreamingUrlSchema,
  StreamQuerySchema,
} from '@codex/contract';
import { DomainError } from '@codex/domain';
import { currentUser, defineRoute, getDb, getLogger, json, jsonBody, parseRange, routeGroup } from '@codex/worker-kit';
import { z } from 'zod';
import { contentConfig, mediaBucket, signingSecret } from '../env';
import { signedUrl } from './signed-url';

const TAG = 'Content';

const WHO =
  'Access: those who manage the content (its creator, or the owners and admins of its organization) always; public content: any signed-in user; ' +
  "purchased_only: a purchase (not refunded), else 403 NO_PURCHASE; members_only: membership in the content's organization, else 403 NOT_A_MEMBER. " +
  'Unpublished or deleted content is 404 for everyone but its managers.';

const ACCESS_ERRORS = ['CONTENT_NOT_FOUND', 'NO_PURCHASE', 'NOT_A_MEMBER'] as const;

export const getStreamingUrl = defineRoute({
  method: 'get',
  path: '/api/access/streaming-url/{contentId}',
  operationId: 'getStreamingUrl',
  tag: TAG,
  summary: 'Get a time-limited streaming URL',
  description:
    `${WHO} The media must be ready (422 MEDIA_NOT_READY). The URL is HMAC-SHA256-signed for this user, this content and its current media, ` +
    'and expires after ttlSeconds (60–3600, default 3600). Use it exactly as returned.',
  access: 'session',
  request: { params: ContentIdParamSchema, query: StreamingUrlQuerySchema },
  responses: {
    200: json(StreamingUrlSchema, 'The signed URL and its expiry', {
      example: {
        streamingUrl:
          'http://localhost:4001/api/access/stream/5eed0000-0000-4000-8000-000000000003?uid=9b2c4e1a-5d7f-4e3b-8a6c-1f0e2d3c4b5a&expires=1767229200&signature=Xb1qW2eR3tY4uI5oP6aS7dF8gH9jK0lZ1xC2vB3nM4q',
        expiresAt: '2026-12-01T01:00:00.000Z',
      },
    }),
  },
  errors: [...ACCESS_ERRORS, 'MEDIA_NOT_READY', 'SIGNING_NOT_CONFIGURED'],
});

const mediaBody = Object.fromEntries(
  ALLOWED_MIME_TYPES.map((t) => [t, { schema: z.string().meta({ format: 'binary' }) }]),
);
const byteHeaders = {
  'Accept-Ranges': { description: 'Always "bytes"', schema: { type: 'string' as const } },
  'Content-Length': { description: 'Bytes in this response', schema: { type: 'integer' as const } },
  ETag: { description: 'Entity tag of the stored file', schema: { type: 'string' as const } },
};

export const streamContent = defineRoute({
  method: 'get',
  path: '/api/access/stream/{contentId}',
  operationId: 'streamContent',
  tag: TAG,
  summary: 'Stream the media of content (signed URL)',
  description:
    'The URL from getStreamingUrl is the credential: no session needed. Serves the file with its Content-Type and HTTP Range support ' +
    '(one range: `bytes=a-b`, `bytes=a-`, `bytes=-n` → 206 with Content-Range; several ranges or a malformed header → the whole file, 200; ' +
    'a range past the end → 416 with `Content-Range: bytes */size`). HEAD answers the same headers without a body. A forged, tampered or expired URL is 403 ' +
    '(INVALID_SIGNATURE / URL_EXPIRED); so is a URL whose access has ended since it was issued (content unpublished or media no longer ready: ' +
    'CONTENT_UNAVAILABLE, purchase refunded: NO_PURCHASE, membership ended: NOT_A_MEMBER). A file missing from storage is 404 MEDIA_FILE_MISSING.',
  access: 'signed-url',
  rateLimit: null,
  request: { params: ContentIdParamSchema, query: StreamQuerySchema },
  responses: {
    200: { description: 'The whole file', headers: byteHeaders, content: mediaBody },
    206: {
      description: 'The requested byte range',
      headers: {
        ...byteHeaders,
        'Content-Range': { description: '`bytes start-end/size`', schema: { type: 'string' as const } },
      },
      content: mediaBody,
    },
  },
  errors: [
    'INVALID_SIGNATURE',
    'URL_EXPIRED',
    'CONTENT_UNAVAILABLE',
    'NO_PURCHASE',
    'NOT_A_MEMBER',
    'RANGE_NOT_SATISFIABLE',
    'MEDIA_FILE_MISSING',
    'SIGNING_NOT_CONFIGURED',
    'STORAGE_UNAVAILABLE',
  ],
});

const PROGRESS_EXAMPLE = {
  contentId: '5eed0000-0000-4000-8000-000000000003',
  positionSeconds: 73,
  durationSeconds: 1800,
  completed: false,
  updatedAt: '2026-11-25T12:34:56.000Z',
};

export const savePlaybackProgress = defineRoute({
  method: 'post',
  path: '/api/access/playback-progress/{contentId}',
  operationId: 'savePlaybackProgress',
  tag: TAG,
  summary: 'Save the playback position',
  description: `${WHO} One record per user and content: each report replaces the previous one (a rewind included). positionSeconds ≤ durationSeconds (else 422 INVALID_PROGRESS).`,
  access: 'session',
  request: { params: ContentIdParamSchema, body: jsonBody(PlaybackProgressInputSchema) },
  responses: { 200: json(PlaybackProgressSchema, 'The saved position', { example: PROGRESS_EXAMPLE }) },
  errors: [...ACCESS_ERRORS, 'INVALID_PROGRESS'],
});

export const getPlaybackProgress = defineRoute({
  method: 'get',
  path: '/api/access/playback-progress/{contentId}',
  operationId: 'getPlaybackProgress',
  tag: TAG,
  summary: 'Get the saved playback position (to resume)',
  description: `${WHO} 404 PROGRESS_NOT_FOUND when nothing was saved.`,
  access: 'session',
  request: { params: ContentIdParamSchema },
  responses: { 200: json(PlaybackProgressSchema, 'The saved position', { example: PROGRESS_EXAMPLE }) },
  errors: [...ACCESS_ERRORS, 'PROGRESS_NOT_FOUND'],
});

export const accessRoutes = routeGroup();

accessRoutes.openapi(getStreamingUrl, async (c) => {
  const { contentId } = c.req.valid('param');
  const grant = await new ContentAccessService(getDb(c)).streamGrant(
    contentId,
    currentUser(c).id,
    c.req.valid('query').ttlSeconds,
    signingSecret(contentConfig(c)),
  );
  const streamingUrl = signedUrl(
    c,
    streamContent.path,
    { contentId },
    { uid: grant.uid, expires: grant.expires, signature: grant.signature },
  );
  c.header('Cache-Control', 'no-store');
  return c.json({ streamingUrl, expiresAt: grant.expiresAt }, 200);
});

accessRoutes.openapi(streamContent, async (c) => {
  const config = contentConfig(c);
  const { contentId } = c.req.valid('param');
  const target = await new ContentAccessService(getDb(c)).resolveStream(
    contentId,
    c.req.valid('query'),
    signingSecret(config),
  );
  const range = parseRange(c.req.header('range'), target.size);
  if (range === 'unsatisfiable') {
    c.header('Content-Range', `bytes */${target.size}`);
    throw new DomainError('RANGE_NOT_SATISFIABLE', 'The requested range is outside the file', { size: target.size });
  }
  const head = c.req.method === 'HEAD';
  let object: R2Object;
  try {
    object = await readStored(mediaBucket(config), target.key, { range, headOnly: head });
  } catch (e) {
    if (e instanceof DomainError && e.code === 'MEDIA_FILE_MISSING') {
      getLogger(c).error('media file missing from storage', { contentId });
    }
    throw e;
  }
  const headers = new Headers({
    'Content-Type': target.mimeType,
    'Accept-Ranges': 'bytes',
    ETag: object.httpEtag,
    'Cache-Control': 'private, no-transform',
    'Content-Length': String(range ? range.length : object.size),
  });
  if (range) headers.set('Content-Range', `bytes ${range.offset}-${range.offset + range.length - 1}/${object.size}`);
  const body = head || !('body' in object) ? null : (object as R2ObjectBody).body;
  return new Response(body, { status: range ? 206 : 200, headers });
});

accessRoutes.openapi(savePlaybackProgress, async (c) => {
  const progress = await new ContentAccessService(getDb(c)).saveProgress(
    c.req.valid('param').contentId,
    currentUser(c).id,
    c.req.valid('json'),
  );
  return c.json(progress, 200);
});

accessRoutes.openapi(getPlaybackProgress, async (c) => {
  const progress = await new ContentAccessService(getDb(c)).getProgress(
    c.req.valid('param').contentId,
    currentUser(c).id,
  );
  return c.json(progress, 200);
});
