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
} from '@codex/contract';
import { DomainError } from '@codex/domain';
import { currentUser, defineRoute, getDb, json, jsonBody, RATE_LIMIT_PRESETS, routeGroup } from '@codex/worker-kit';
import { z } from 'zod';
import { contentConfig, mediaBucket, signingSecret } from '../env';
import { signedUrl } from './signed-url';

const TAG = 'Content';

const LIFECYCLE =
  'Lifecycle: uploading → transcoding → ready | failed. POST /api/media creates the item in uploading; the upload (PUT to the signed URL) ' +
  'stores the bytes and moves it to transcoding; then the transcoding results are reported with PATCH status=ready (durationSeconds, plus width and height for video; ' +
  'hlsMasterKey/thumbnailKey optional, relative to the media folder) or status=failed. Until a transcoding service exists a manager reports them. ' +
  'ready and failed are final; any other move is 422 INVALID_TRANSITION. Storage keys are chosen by the server and never returned.';

const MANAGERS =
  'Those who manage the media: personal media, its creator only; organization media, the current owners and admins of the organization, whoever ' +
  'created it (a plain member, a former member or a demoted admin manages none of it). For anyone else the item does not exist (404).';

const MEDIA_EXAMPLE = {
  id: '5eed0000-0000-4000-8000-000000000002',
  creatorId: '5eed0000-0000-4000-8000-000000000001',
  organizationId: null,
  title: 'Episode 1 (master)',
  description: null,
  mediaType: 'video',
  mimeType: 'video/mp4',
  fileSizeBytes: 10485760,
  status: 'ready',
  durationSeconds: 1800,
  width: 1920,
  height: 1080,
  hasHls: false,
  hasThumbnail: false,
  failureReason: null,
  uploadedAt: '2026-11-25T11:05:00.000Z',
  createdAt: '2026-11-25T11:00:00.000Z',
  updatedAt: '2026-11-25T11:30:00.000Z',
};

export const createMedia = defineRoute({
  method: 'post',
  path: '/api/media',
  operationId: 'createMedia',
  tag: TAG,
  summary: 'Create a media item and get its upload URL',
  description:
    `Declares the file (type, a MIME type of that type, exact size ≤ ${MEDIA_MAX_BYTES} bytes) and returns a signed upload URL ` +
    `valid for ${UPLOAD_URL_TTL_SECONDS / 60} minutes. With organizationId the media belongs to that organization. ${LIFECYCLE}`,
  access: 'session',
  idempotent: true,
  authorization:
    'Any signed-in user creates personal media (they become its creator and only manager). Media of an organization needs the owner or admin ' +
    'role there (403 ORGANIZATION_ROLE_REQUIRED; 404 for an unknown organization) and is then managed by its owners and admins.',
  request: { body: jsonBody(CreateMediaSchema) },
  responses: {
    201: json(CreateMediaResponseSchema, 'Created in uploading, with the upload URL', {
      example: {
        media: {
          ...MEDIA_EXAMPLE,
          status: 'uploading',
          durationSeconds: null,
          width: null,
          height: null,
          uploadedAt: null,
        },
        upload: {
          url: 'http://localhost:4001/api/media/5eed0000-0000-4000-8000-000000000002/upload?expires=1767226500&signature=q2VbJ3xJ0mW1sQn8f4pZ7yT5uR6oE9aD2cB1vN0mK3l',
          method: 'PUT',
          expiresAt: '2026-12-01T00:15:00.000Z',
          headers: { 'Content-Type': 'video/mp4', 'Content-Length': '10485760' },
        },
      },
    }),
  },
  errors: ['ORGANIZATION_NOT_FOUND', 'ORGANIZATION_ROLE_REQUIRED', 'SIGNING_NOT_CONFIGURED'],
});

const binary = z.string().meta({ format: 'binary' });

export const uploadMedia = defineRoute({
  method: 'put',
  path: '/api/media/{id}/upload',
  operationId: 'uploadMedia',
  tag: TAG,
  summary: 'Upload the file of a media item (signed URL)',
  description:
    'The URL returned by POST /api/media (to those who may create the media) is the credential: send the file to it exactly as given. The body is the raw file, streamed to storage ' +
    '(never buffered whole). Content-Type must equal the declared mimeType (415 CONTENT_TYPE_MISMATCH), Content-Length is required (411) and must equal ' +
    'the declared fileSizeBytes (422 SIZE_MISMATCH; 413 above the maximum). A forged or expired URL is 403 (INVALID_SIGNATURE / URL_EXPIRED); a second ' +
    'upload is 409 ALREADY_UPLOADED. On success the media moves to transcoding; on any refusal nothing changes.',
  access: 'signed-url',
  rateLimit: RATE_LIMIT_PRESETS.api,
  request: {
    params: IdParamSchema,
    query: SignedUrlQuerySchema,
    body: {
      required: true,
      description: 'The file, as declared (type and size)',
      content: Object.fromEntries(ALLOWED_MIME_TYPES.map((t) => [t, { schema: binary }])),
    },
  },
  responses: {
    200: json(MediaSchema, 'Stored; the media is now transcoding', {
      example: { ...MEDIA_EXAMPLE, status: 'transcoding' },
    }),
  },
  errors: [
    'INVALID_SIGNATURE',
    'URL_EXPIRED',
    'ALREADY_UPLOADED',
    'CONTENT_TYPE_MISMATCH',
    'LENGTH_REQUIRED',
    'PAYLOAD_TOO_LARGE',
    'SIZE_MISMATCH',
    'SIGNING_NOT_CONFIGURED',
    'STORAGE_UNAVAILABLE',
  ],
});

export const getMedia = defineRoute({
  method: 'get',
  path: '/api/media/{id}',
  operationId: 'getMedia',
  tag: TAG,
  summary: 'Get a media item',
  description: LIFECYCLE,
  access: 'session',
  authorization: MANAGERS,
  request: { params: IdParamSchema },
  responses: { 200: json(MediaSchema, 'The media item', { example: MEDIA_EXAMPLE }) },
  errors: ['MEDIA_NOT_FOUND'],
});

export const updateMedia = defineRoute({
  method: 'patch',
  path: '/api/media/{id}',
  operationId: 'updateMedia',
  tag: TAG,
  summary: 'Update a media item or report its transcoding result',
  description:
    `title and description can change at any time. ${LIFECYCLE} Video needs width and height with status ready ` +
    '(422 TRANSCODING_RESULTS_REQUIRED); audio has none (422 INVALID_TRANSCODING_RESULTS).',
  access: 'session',
  authorization: MANAGERS,
  request: { params: IdParamSchema, body: jsonBody(UpdateMediaSchema) },
  responses: { 200: json(MediaSchema, 'The updated media item', { example: MEDIA_EXAMPLE }) },
  errors: ['MEDIA_NOT_FOUND', 'INVALID_TRANSITION', 'TRANSCODING_RESULTS_REQUIRED', 'INVALID_TRANSCODING_RESULTS'],
});

export const mediaRoutes = routeGroup();

mediaRoutes.openapi(createMedia, async (c) => {
  const secret = signingSecret(contentConfig(c)); // first: a deployment without a secret must not leave an orphan row
  const service = new MediaService(getDb(c));
  const row = await service.create(c.req.valid('json'), currentUser(c).id);
  const grant = await service.uploadGrant(row, secret);
  const url = signedUrl(c, uploadMedia.path, { id: row.id }, { expires: grant.expires, signature: grant.signature });
  return c.json(
    {
      media: mediaView(row),
      upload: {
        url,
        method: 'PUT' as const,
        expiresAt: new Date(grant.expires * 1000).toISOString(),
        headers: grant.headers,
      },
    },
    201,
  );
});

mediaRoutes.openapi(uploadMedia, async (c) => {
  const config = contentConfig(c);
  const length = c.req.header('content-length');
  if (length === undefined || !/^\d{1,16}$/.test(length)) {
    throw new DomainError('LENGTH_REQUIRED', 'Send the file with a Content-Length header');
  }
  const { expires, signature } = c.req.valid('query');
  const row = await new MediaService(getDb(c)).receiveUpload(
    c.req.valid('param').id,
    {
      expires,
      signature,
      mimeType: c.req.header('content-type')?.split(';')[0]?.trim().toLowerCase(),
      length: Number(length),
      body: c.req.raw.body,
    },
    mediaBucket(config),
    signingSecret(config),
  );
  return c.json(mediaView(row), 200);
});

mediaRoutes.openapi(getMedia, async (c) => {
  const row = await new MediaService(getDb(c)).get(c.req.valid('param').id, currentUser(c).id);
  return c.json(mediaView(row), 200);
});

mediaRoutes.openapi(updateMedia, async (c) => {
  const row = await new MediaService(getDb(c)).update(c.req.valid('param').id, currentUser(c).id, c.req.valid('json'));
  return c.json(mediaView(row), 200);
});
