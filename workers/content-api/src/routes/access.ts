import { ContentAccessService, parseRange } from '@codex/content';
import {
  ALLOWED_MIME_TYPES,
  ContentIdParamSchema,
  PlaybackProgressInputSchema,
  PlaybackProgressSchema,
  StreamingUrlQuerySchema,
  StreamingUrlSchema,
  StreamQuerySchema,
  z,
} from '@codex/contract';
import {
  type AppEnv,
  currentUser,
  errorResponse,
  errorResponses,
  getDb,
  jsonBody,
  jsonResponse,
  SESSION_SECURITY,
} from '@codex/worker-kit';
import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import { baseUrlOf, bucketOf, secretOf, signedIn, TAG } from './shared';

const WHO =
  'Access: the creator always; public content: any signed-in user; purchased_only: a purchase (content_access row, not revoked, not expired), else 403 NO_PURCHASE; ' +
  "members_only: membership in the content's organization, else 403 NOT_A_MEMBER. Unpublished or deleted content is 404 for everyone but the creator.";

export const getStreamingUrlRoute = createRoute({
  method: 'get',
  path: '/api/access/streaming-url/{contentId}',
  operationId: 'getStreamingUrl',
  tags: [TAG],
  summary: 'Get a time-limited streaming URL',
  description:
    `${WHO} The media must be ready (422 MEDIA_NOT_READY). The URL is HMAC-SHA256-signed for this user, this content and its current media, ` +
    'and expires after ttlSeconds (60–3600, default 3600).',
  security: SESSION_SECURITY,
  middleware: signedIn,
  request: { params: ContentIdParamSchema, query: StreamingUrlQuerySchema },
  responses: {
    200: jsonResponse(StreamingUrlSchema, 'The signed URL and its expiry'),
    ...errorResponses(400, 401, 403, 404, 422, 429, 503),
  },
});

const mediaBody = Object.fromEntries(
  ALLOWED_MIME_TYPES.map((t) => [t, { schema: z.string().openapi({ type: 'string', format: 'binary' }) }]),
);
const byteHeaders = {
  'Accept-Ranges': { description: 'Always "bytes"', schema: { type: 'string' as const } },
  'Content-Length': { description: 'Bytes in this response', schema: { type: 'integer' as const } },
  ETag: { description: 'Entity tag of the stored file', schema: { type: 'string' as const } },
};

export const streamContentRoute = createRoute({
  method: 'get',
  path: '/api/access/stream/{contentId}',
  operationId: 'streamContent',
  tags: [TAG],
  summary: 'Stream the media of content (signed URL)',
  description:
    'The URL from getStreamingUrl is the credential: no session needed. Serves the file with its Content-Type and HTTP Range support ' +
    '(one range: `bytes=a-b`, `bytes=a-`, `bytes=-n` → 206 with Content-Range; several ranges or a malformed header → the whole file, 200; ' +
    'a range past the end → 416 with `Content-Range: bytes */size`). HEAD answers the same headers without a body. A forged, tampered or expired URL is 403 ' +
    '(INVALID_SIGNATURE / URL_EXPIRED); so is a URL whose access has ended since it was issued (content unpublished: CONTENT_UNAVAILABLE, purchase revoked: NO_PURCHASE, membership ended: NOT_A_MEMBER).',
  security: [],
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
    ...errorResponses(400, 403, 416, 503),
  },
});

export const savePlaybackProgressRoute = createRoute({
  method: 'post',
  path: '/api/access/playback-progress/{contentId}',
  operationId: 'savePlaybackProgress',
  tags: [TAG],
  summary: 'Save the playback position',
  description: `${WHO} One record per user and content: each report replaces the previous one (a rewind included). positionSeconds ≤ durationSeconds.`,
  security: SESSION_SECURITY,
  middleware: signedIn,
  request: { params: ContentIdParamSchema, body: jsonBody(PlaybackProgressInputSchema) },
  responses: {
    200: jsonResponse(PlaybackProgressSchema, 'The saved position'),
    ...errorResponses(400, 401, 403, 404, 413, 415, 429, 503),
  },
});

export const getPlaybackProgressRoute = createRoute({
  method: 'get',
  path: '/api/access/playback-progress/{contentId}',
  operationId: 'getPlaybackProgress',
  tags: [TAG],
  summary: 'Get the saved playback position (to resume)',
  description: `${WHO} 404 PROGRESS_NOT_FOUND when nothing was saved.`,
  security: SESSION_SECURITY,
  middleware: signedIn,
  request: { params: ContentIdParamSchema },
  responses: {
    200: jsonResponse(PlaybackProgressSchema, 'The saved position'),
    ...errorResponses(400, 401, 403, 404, 429, 503),
  },
});

export const accessRoutes = new OpenAPIHono<AppEnv>()
  .openapi(getStreamingUrlRoute, async (c) => {
    const url = await new ContentAccessService(getDb(c)).streamingUrl(
      c.req.valid('param').contentId,
      currentUser(c).id,
      c.req.valid('query').ttlSeconds,
      baseUrlOf(c),
      secretOf(c),
    );
    c.header('Cache-Control', 'no-store');
    return c.json(url, 200);
  })
  .openapi(streamContentRoute, async (c) => {
    const target = await new ContentAccessService(getDb(c)).resolveStream(
      c.req.valid('param').contentId,
      c.req.valid('query'),
      secretOf(c),
    );
    const bucket = bucketOf(c);
    const range = parseRange(c.req.header('range'), target.size);
    if (range === 'unsatisfiable') {
      return errorResponse(
        c,
        416,
        'RANGE_NOT_SATISFIABLE',
        'The requested range is outside the file',
        { size: target.size },
        {
          'Content-Range': `bytes */${target.size}`,
        },
      ) as never;
    }
    const head = c.req.method === 'HEAD';
    const object = head ? await bucket.head(target.key) : await bucket.get(target.key, range ? { range } : {});
    if (!object) throw new Error('stored media object is missing');
    const headers = new Headers({
      'Content-Type': target.mimeType,
      'Accept-Ranges': 'bytes',
      ETag: object.httpEtag,
      'Cache-Control': 'private, no-transform',
      'Content-Length': String(range ? range.length : object.size),
    });
    if (range) headers.set('Content-Range', `bytes ${range.offset}-${range.offset + range.length - 1}/${object.size}`);
    const body = head ? null : (object as R2ObjectBody).body;
    return new Response(body, { status: range ? 206 : 200, headers }) as never;
  })
  .openapi(savePlaybackProgressRoute, async (c) => {
    const progress = await new ContentAccessService(getDb(c)).saveProgress(
      c.req.valid('param').contentId,
      currentUser(c).id,
      c.req.valid('json'),
    );
    return c.json(progress, 200);
  })
  .openapi(getPlaybackProgressRoute, async (c) => {
    const progress = await new ContentAccessService(getDb(c)).getProgress(
      c.req.valid('param').contentId,
      currentUser(c).id,
    );
    return c.json(progress, 200);
  });
