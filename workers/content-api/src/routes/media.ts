import { MediaService, mediaView } from '@codex/content';
import {
  ALLOWED_MIME_TYPES,
  CreateMediaResponseSchema,
  CreateMediaSchema,
  IdParamSchema,
  MEDIA_MAX_BYTES,
  MediaSchema,
  SignedUrlQuerySchema,
  UPLOAD_URL_TTL_SECONDS,
  UpdateMediaSchema,
  z,
} from '@codex/contract';
import {
  type AppEnv,
  currentUser,
  errorResponses,
  getDb,
  jsonBody,
  jsonResponse,
  RATE_LIMIT_PRESETS,
  rateLimit,
  SESSION_SECURITY,
} from '@codex/worker-kit';
import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import { baseUrlOf, bucketOf, secretOf, signedIn, TAG } from './shared';

const LIFECYCLE =
  'Lifecycle: uploading → transcoding → ready | failed. POST /api/media creates the item in uploading; the upload (PUT to the signed URL) ' +
  'stores the bytes and moves it to transcoding; then the transcoding results are reported with PATCH status=ready (durationSeconds, plus width and height for video; ' +
  'hlsMasterKey/thumbnailKey optional, relative to the media folder) or status=failed. Until a transcoding service exists the owner reports them. ' +
  'ready and failed are final; any other move, or skipping a step, is 422 INVALID_TRANSITION. Storage keys are chosen by the server and never returned.';

export const createMediaRoute = createRoute({
  method: 'post',
  path: '/api/media',
  operationId: 'createMedia',
  tags: [TAG],
  summary: 'Create a media item and get its upload URL',
  description:
    `Declares the file (type, MIME type from the allow-list and matching mediaType, exact size ≤ ${MEDIA_MAX_BYTES} bytes) and returns a signed upload URL ` +
    `valid for ${UPLOAD_URL_TTL_SECONDS / 60} minutes. With organizationId the media belongs to that organization as well (owner or admin role; 404 for an unknown organization). ${LIFECYCLE}`,
  security: SESSION_SECURITY,
  middleware: signedIn,
  request: { body: jsonBody(CreateMediaSchema) },
  responses: {
    201: jsonResponse(CreateMediaResponseSchema, 'Created in uploading, with the upload URL'),
    ...errorResponses(400, 401, 403, 404, 413, 415, 429, 503),
  },
});

const binary = z.string().openapi({ type: 'string', format: 'binary' });

export const uploadMediaRoute = createRoute({
  method: 'put',
  path: '/api/media/{id}/upload',
  operationId: 'uploadMedia',
  tags: [TAG],
  summary: 'Upload the file of a media item (signed URL)',
  description:
    'The URL returned by POST /api/media is the credential: no session needed. The body is the raw file, streamed to storage (never buffered whole). ' +
    'Content-Type must equal the declared mimeType (415 CONTENT_TYPE_MISMATCH), Content-Length is required (411) and must equal the declared ' +
    'fileSizeBytes (422 SIZE_MISMATCH; 413 above the maximum). A forged or expired URL is 403 (INVALID_SIGNATURE / URL_EXPIRED); a second upload is 409 ALREADY_UPLOADED. ' +
    'On success the media moves to transcoding; on any refusal nothing changes.',
  security: [],
  middleware: [rateLimit(RATE_LIMIT_PRESETS.api)],
  request: {
    params: IdParamSchema,
    query: SignedUrlQuerySchema,
    body: {
      required: true,
      description: 'The file',
      content: Object.fromEntries(ALLOWED_MIME_TYPES.map((t) => [t, { schema: binary }])),
    },
  },
  responses: {
    200: jsonResponse(MediaSchema, 'Stored; the media is now transcoding'),
    ...errorResponses(400, 403, 409, 411, 413, 422, 429, 503),
    415: { ...errorResponses(415)[415], description: 'Content-Type differs from the declared mimeType' },
  },
});

export const getMediaRoute = createRoute({
  method: 'get',
  path: '/api/media/{id}',
  operationId: 'getMedia',
  tags: [TAG],
  summary: 'Get a media item',
  description: `The creator only; for anyone else the item does not exist (404). ${LIFECYCLE}`,
  security: SESSION_SECURITY,
  middleware: signedIn,
  request: { params: IdParamSchema },
  responses: {
    200: jsonResponse(MediaSchema, 'The media item'),
    ...errorResponses(400, 401, 404, 429, 503),
  },
});

export const updateMediaRoute = createRoute({
  method: 'patch',
  path: '/api/media/{id}',
  operationId: 'updateMedia',
  tags: [TAG],
  summary: 'Update a media item or report its transcoding result',
  description:
    `The creator only (404 for anyone else). title and description can change at any time. ${LIFECYCLE} ` +
    'Missing results are 422 TRANSCODING_RESULTS_REQUIRED; width/height for audio are 422 INVALID_TRANSCODING_RESULTS. Result fields without status=ready, ' +
    'or failureReason without status=failed, are 400.',
  security: SESSION_SECURITY,
  middleware: signedIn,
  request: { params: IdParamSchema, body: jsonBody(UpdateMediaSchema) },
  responses: {
    200: jsonResponse(MediaSchema, 'The updated media item'),
    ...errorResponses(400, 401, 404, 413, 415, 422, 429, 503),
  },
});

export const mediaRoutes = new OpenAPIHono<AppEnv>()
  .openapi(createMediaRoute, async (c) => {
    const secret = secretOf(c); // first: a deployment without a secret must not leave an orphan row behind
    const service = new MediaService(getDb(c));
    const row = await service.create(c.req.valid('json'), currentUser(c).id);
    const upload = await service.uploadInstructions(row, baseUrlOf(c), secret);
    return c.json({ media: mediaView(row), upload }, 201);
  })
  .openapi(uploadMediaRoute, async (c) => {
    const { expires, signature } = c.req.valid('query');
    const row = await new MediaService(getDb(c)).receiveUpload(
      c.req.valid('param').id,
      {
        expires,
        signature,
        contentType: c.req.header('content-type'),
        contentLength: c.req.header('content-length'),
        body: c.req.raw.body,
      },
      bucketOf(c),
      secretOf(c),
    );
    return c.json(mediaView(row), 200);
  })
  .openapi(getMediaRoute, async (c) => {
    const row = await new MediaService(getDb(c)).get(c.req.valid('param').id, currentUser(c).id);
    return c.json(mediaView(row), 200);
  })
  .openapi(updateMediaRoute, async (c) => {
    const row = await new MediaService(getDb(c)).update(
      c.req.valid('param').id,
      currentUser(c).id,
      c.req.valid('json'),
    );
    return c.json(mediaView(row), 200);
  });
