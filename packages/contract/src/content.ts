import { z } from '@hono/zod-openapi';
import { atLeastOneField, PaginationQuerySchema, paginated } from './common';

// ---------------------------------------------------------------------------------------------------------------------
// Media
// ---------------------------------------------------------------------------------------------------------------------

export const MEDIA_TYPES = ['video', 'audio'] as const;
export type MediaTypeName = (typeof MEDIA_TYPES)[number];
export const MEDIA_STATUSES = ['uploading', 'transcoding', 'ready', 'failed'] as const;
export type MediaStatusName = (typeof MEDIA_STATUSES)[number];

/** The container formats accepted for upload, per media type. */
export const MEDIA_MIME_TYPES = {
  video: ['video/mp4', 'video/webm', 'video/quicktime', 'video/x-matroska'],
  audio: ['audio/mpeg', 'audio/mp4', 'audio/aac', 'audio/wav', 'audio/ogg', 'audio/webm', 'audio/flac'],
} as const satisfies Record<MediaTypeName, readonly string[]>;
export const ALLOWED_MIME_TYPES = [...MEDIA_MIME_TYPES.video, ...MEDIA_MIME_TYPES.audio] as const;
export type AllowedMimeType = (typeof ALLOWED_MIME_TYPES)[number];

/** Largest upload accepted: 5 GiB (R2's single-request PUT limit). */
export const MEDIA_MAX_BYTES = 5 * 1024 * 1024 * 1024;
/** Lifetime of a signed upload URL. */
export const UPLOAD_URL_TTL_SECONDS = 15 * 60;
/** Upper bound for durations (media and playback): 7 days. */
export const MAX_DURATION_SECONDS = 7 * 24 * 3600;

const title = z.string().trim().min(1).max(255).openapi({ example: 'Episode 1: The Pilot' });
const description = z.string().max(5000).nullable().openapi({ example: 'Where it all begins.' });

/**
 * A file name inside the media's own storage folder, e.g. `hls/master.m3u8`. The server prefixes it with the
 * media's folder: a client can never name an arbitrary storage key.
 */
export const MediaAssetPathSchema = z
  .string()
  .min(1)
  .max(200)
  .regex(
    /^[A-Za-z0-9_-][A-Za-z0-9._-]*(\/[A-Za-z0-9_-][A-Za-z0-9._-]*)*$/,
    'a relative path of [A-Za-z0-9._-] segments, no leading dot',
  )
  .openapi({ example: 'hls/master.m3u8', description: "Relative to the media's own storage folder" });

export const CreateMediaSchema = z
  .object({
    title,
    description: description.optional(),
    mediaType: z.enum(MEDIA_TYPES),
    mimeType: z
      .enum(ALLOWED_MIME_TYPES)
      .openapi({ description: 'Must belong to mediaType (video/* for video, audio/* for audio)' }),
    fileSizeBytes: z
      .number()
      .int()
      .min(1)
      .max(MEDIA_MAX_BYTES)
      .openapi({
        example: 10485760,
        description: `Exact size of the file that will be uploaded, at most ${MEDIA_MAX_BYTES} bytes (5 GiB)`,
      }),
    organizationId: z
      .string()
      .uuid()
      .optional()
      .openapi({ description: 'Upload on behalf of an organization (needs the owner or admin role there)' }),
  })
  .strict()
  .superRefine((v, ctx) => {
    if (!(MEDIA_MIME_TYPES[v.mediaType] as readonly string[]).includes(v.mimeType)) {
      ctx.addIssue({
        code: 'custom',
        path: ['mimeType'],
        message: `not a ${v.mediaType} type: use one of ${MEDIA_MIME_TYPES[v.mediaType].join(', ')}`,
      });
    }
  })
  .openapi('CreateMediaRequest');
export type CreateMediaInput = z.infer<typeof CreateMediaSchema>;

const RESULT_FIELDS = ['durationSeconds', 'width', 'height', 'hlsMasterKey', 'thumbnailKey'] as const;

export const UpdateMediaSchema = z
  .object({
    title: title.optional(),
    description: description.optional(),
    status: z.enum(MEDIA_STATUSES).optional().openapi({
      description:
        'Only transcoding → ready or transcoding → failed may be reported here (uploading → transcoding happens when the upload completes); anything else is 422 INVALID_TRANSITION',
    }),
    durationSeconds: z
      .number()
      .int()
      .min(0)
      .max(MAX_DURATION_SECONDS)
      .optional()
      .openapi({ description: 'With status ready (required then)' }),
    width: z
      .number()
      .int()
      .min(1)
      .max(16384)
      .optional()
      .openapi({ description: 'With status ready; required for video, refused for audio' }),
    height: z
      .number()
      .int()
      .min(1)
      .max(16384)
      .optional()
      .openapi({ description: 'With status ready; required for video, refused for audio' }),
    hlsMasterKey: MediaAssetPathSchema.optional().openapi({
      description: 'With status ready: the HLS master playlist, relative to the media folder',
    }),
    thumbnailKey: MediaAssetPathSchema.optional().openapi({
      description: 'With status ready: the thumbnail, relative to the media folder',
    }),
    failureReason: z.string().trim().min(1).max(1000).optional().openapi({ description: 'With status failed' }),
  })
  .strict()
  .superRefine((v, ctx) => {
    if (Object.keys(v).length === 0)
      ctx.addIssue({ code: 'custom', path: [], message: 'send at least one field to change' });
    for (const f of RESULT_FIELDS) {
      if (v[f] !== undefined && v.status !== 'ready')
        ctx.addIssue({ code: 'custom', path: [f], message: 'only with status ready' });
    }
    if (v.failureReason !== undefined && v.status !== 'failed') {
      ctx.addIssue({ code: 'custom', path: ['failureReason'], message: 'only with status failed' });
    }
  })
  .openapi('UpdateMediaRequest');
export type UpdateMediaInput = z.infer<typeof UpdateMediaSchema>;

/** A media item as its owner sees it. Storage keys are never returned. */
export const MediaSchema = z
  .object({
    id: z.string().uuid(),
    creatorId: z.string().uuid(),
    organizationId: z.string().uuid().nullable(),
    title: z.string(),
    description: z.string().nullable(),
    mediaType: z.enum(MEDIA_TYPES),
    mimeType: z.string(),
    fileSizeBytes: z.number().int(),
    status: z.enum(MEDIA_STATUSES),
    durationSeconds: z.number().int().nullable(),
    width: z.number().int().nullable(),
    height: z.number().int().nullable(),
    hasHls: z.boolean().openapi({ description: 'An HLS rendition was reported' }),
    hasThumbnail: z.boolean(),
    failureReason: z.string().nullable(),
    uploadedAt: z.string().datetime().nullable(),
    createdAt: z.string().datetime(),
    updatedAt: z.string().datetime(),
  })
  .openapi('MediaItem');
export type MediaView = z.infer<typeof MediaSchema>;

export const UploadInstructionsSchema = z
  .object({
    url: z.string().url().openapi({ description: 'Signed, single-purpose URL of PUT /api/media/{id}/upload' }),
    method: z.literal('PUT'),
    expiresAt: z.string().datetime(),
    headers: z.record(z.string(), z.string()).openapi({
      description: 'Headers the upload must carry',
      example: { 'Content-Type': 'video/mp4', 'Content-Length': '10485760' },
    }),
  })
  .openapi('MediaUploadInstructions');

export const CreateMediaResponseSchema = z
  .object({ media: MediaSchema, upload: UploadInstructionsSchema })
  .openapi('CreateMediaResponse');

export const SignedUrlQuerySchema = z
  .object({
    expires: z.coerce
      .number()
      .int()
      .min(0)
      .max(1e11)
      .openapi({ param: { name: 'expires', in: 'query' }, description: 'Expiry, Unix seconds (signed)' }),
    signature: z
      .string()
      .min(1)
      .max(128)
      .openapi({ param: { name: 'signature', in: 'query' }, description: 'HMAC-SHA256, base64url' }),
  })
  .strict();

export const StreamQuerySchema = SignedUrlQuerySchema.extend({
  uid: z
    .string()
    .uuid()
    .openapi({ param: { name: 'uid', in: 'query' }, description: 'The user the URL was issued to (signed)' }),
}).strict();

// ---------------------------------------------------------------------------------------------------------------------
// Content
// ---------------------------------------------------------------------------------------------------------------------

export const CONTENT_VISIBILITIES = ['public', 'purchased_only', 'members_only'] as const;
export const CONTENT_STATUSES = ['draft', 'published', 'archived'] as const;
/** $10,000.00: an upper bound that keeps prices in a 32-bit column and catches unit mistakes. */
export const PRICE_CENTS_MAX = 1_000_000;

export const ContentSlugSchema = z
  .string()
  .min(1)
  .max(255)
  .regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'lowercase letters, digits and single hyphens, no leading or trailing hyphen')
  .openapi({
    example: 'the-pilot',
    description: 'Unique per creator (personal content) or per organization, among live content',
  });

const contentFields = {
  title,
  slug: ContentSlugSchema,
  description,
  contentType: z.enum(MEDIA_TYPES),
  mediaItemId: z.string().uuid().nullable().openapi({
    description:
      "Your own media, or the organization's media when the content belongs to an organization where you are owner or admin",
  }),
  visibility: z.enum(CONTENT_VISIBILITIES).openapi({
    description:
      'public: any signed-in user may stream; purchased_only: needs a purchase (priceCents required); members_only: organization members (organizationId required)',
  }),
  priceCents: z
    .number()
    .int()
    .min(1)
    .max(PRICE_CENTS_MAX)
    .nullable()
    .openapi({ example: 499, description: 'Price in cents (USD); required for purchased_only' }),
};

export const CreateContentSchema = z
  .object({
    title: contentFields.title,
    slug: contentFields.slug,
    description: contentFields.description.optional(),
    contentType: contentFields.contentType,
    mediaItemId: contentFields.mediaItemId.optional(),
    visibility: contentFields.visibility.default('public'),
    priceCents: contentFields.priceCents.optional(),
    organizationId: z
      .string()
      .uuid()
      .optional()
      .openapi({ description: 'Publish under an organization (owner or admin role); required for members_only' }),
  })
  .strict()
  .openapi('CreateContentRequest');
export type CreateContentInput = z.infer<typeof CreateContentSchema>;

export const UpdateContentSchema = z
  .object({
    title: contentFields.title.optional(),
    slug: contentFields.slug.optional(),
    description: contentFields.description.optional(),
    contentType: contentFields.contentType.optional(),
    mediaItemId: contentFields.mediaItemId.optional(),
    visibility: contentFields.visibility.optional(),
    priceCents: contentFields.priceCents.optional(),
  })
  .strict()
  .refine(...atLeastOneField)
  .openapi('UpdateContentRequest');
export type UpdateContentInput = z.infer<typeof UpdateContentSchema>;

export const ContentSchema = z
  .object({
    id: z.string().uuid(),
    creatorId: z.string().uuid(),
    organizationId: z.string().uuid().nullable(),
    mediaItemId: z
      .string()
      .uuid()
      .nullable()
      .openapi({ description: 'Shown to the owner only; null for everyone else' }),
    title: z.string(),
    slug: z.string(),
    description: z.string().nullable(),
    contentType: z.enum(MEDIA_TYPES),
    visibility: z.enum(CONTENT_VISIBILITIES),
    priceCents: z.number().int().nullable(),
    currency: z.string().openapi({ example: 'usd' }),
    status: z.enum(CONTENT_STATUSES),
    publishedAt: z.string().datetime().nullable(),
    createdAt: z.string().datetime(),
    updatedAt: z.string().datetime(),
  })
  .openapi('Content');
export type ContentView = z.infer<typeof ContentSchema>;

export const ContentListSchema = paginated(ContentSchema, 'ContentList');

export const ListContentQuerySchema = PaginationQuerySchema.extend({
  status: z
    .enum(CONTENT_STATUSES)
    .optional()
    .openapi({ param: { name: 'status', in: 'query' }, description: 'Other callers only ever see published content' }),
  contentType: z
    .enum(MEDIA_TYPES)
    .optional()
    .openapi({ param: { name: 'contentType', in: 'query' } }),
  visibility: z
    .enum(CONTENT_VISIBILITIES)
    .optional()
    .openapi({ param: { name: 'visibility', in: 'query' } }),
  sort: z
    .enum(['createdAt', 'updatedAt', 'publishedAt', 'title'])
    .default('createdAt')
    .openapi({ param: { name: 'sort', in: 'query' } }),
  order: z
    .enum(['asc', 'desc'])
    .default('desc')
    .openapi({ param: { name: 'order', in: 'query' } }),
}).strict();
export type ListContentQuery = z.infer<typeof ListContentQuerySchema>;

export const CreatorIdParamSchema = z.object({
  creatorId: z
    .string()
    .uuid()
    .openapi({ param: { name: 'creatorId', in: 'path' }, example: '3f1f8a0e-1d5b-4c59-9f1e-0b8e6f1c2d3a' }),
});

export const ContentIdParamSchema = z.object({
  contentId: z
    .string()
    .uuid()
    .openapi({ param: { name: 'contentId', in: 'path' }, example: '3f1f8a0e-1d5b-4c59-9f1e-0b8e6f1c2d3a' }),
});

// ---------------------------------------------------------------------------------------------------------------------
// Access: streaming URLs and playback progress
// ---------------------------------------------------------------------------------------------------------------------

export const STREAM_TTL_MIN_SECONDS = 60;
export const STREAM_TTL_MAX_SECONDS = 3600;

export const StreamingUrlQuerySchema = z
  .object({
    ttlSeconds: z.coerce
      .number()
      .int()
      .min(STREAM_TTL_MIN_SECONDS)
      .max(STREAM_TTL_MAX_SECONDS)
      .default(STREAM_TTL_MAX_SECONDS)
      .openapi({
        param: { name: 'ttlSeconds', in: 'query' },
        description: 'Lifetime of the URL, 60–3600 s (default 3600)',
      }),
  })
  .strict();

export const StreamingUrlSchema = z
  .object({
    streamingUrl: z
      .string()
      .url()
      .openapi({ description: 'Signed URL of GET /api/access/stream/{contentId}; supports Range requests' }),
    expiresAt: z.string().datetime(),
  })
  .openapi('StreamingUrl');

export const PlaybackProgressInputSchema = z
  .object({
    positionSeconds: z
      .number()
      .min(0)
      .max(MAX_DURATION_SECONDS)
      .openapi({ example: 73.4, description: 'Rounded down to whole seconds' }),
    durationSeconds: z
      .number()
      .gt(0)
      .max(MAX_DURATION_SECONDS)
      .openapi({ example: 1800, description: 'Rounded up to whole seconds' }),
    completed: z.boolean(),
  })
  .strict()
  .refine((v) => v.positionSeconds <= v.durationSeconds, {
    path: ['positionSeconds'],
    message: 'must not exceed durationSeconds',
  })
  .openapi('PlaybackProgressRequest');
export type PlaybackProgressInput = z.infer<typeof PlaybackProgressInputSchema>;

export const PlaybackProgressSchema = z
  .object({
    contentId: z.string().uuid(),
    positionSeconds: z.number().int(),
    durationSeconds: z.number().int(),
    completed: z.boolean(),
    updatedAt: z.string().datetime(),
  })
  .openapi('PlaybackProgress');
export type PlaybackProgressView = z.infer<typeof PlaybackProgressSchema>;
