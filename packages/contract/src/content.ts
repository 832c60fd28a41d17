import { z } from 'zod';
import { IdSchema, PaginationQuerySchema, paginated, patchBody, uuidParam } from './common';
import { text, uuid } from './primitives';
import { queryEnum, queryInt } from './query';

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
export const TITLE_MAX_LENGTH = 255;
export const DESCRIPTION_MAX_LENGTH = 5000;

const title = text(TITLE_MAX_LENGTH).meta({ example: 'Episode 1: The Pilot' });
const description = text(DESCRIPTION_MAX_LENGTH, { min: 0 }).nullable().meta({ example: 'Where it all begins.' });

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
  .meta({ example: 'hls/master.m3u8', description: "Relative to the media's own storage folder" });

const fileSizeBytes = z
  .number()
  .int()
  .min(1)
  .max(MEDIA_MAX_BYTES)
  .meta({
    example: 10485760,
    description: `Exact size of the file that will be uploaded, at most ${MEDIA_MAX_BYTES} bytes (5 GiB)`,
  });

const mediaOrganizationId = uuid()
  .optional()
  .meta({ description: 'Upload on behalf of an organization (needs the owner or admin role there)' });

function createMediaVariant<T extends MediaTypeName>(mediaType: T) {
  const [first, ...rest] = MEDIA_MIME_TYPES[mediaType];
  return z.strictObject({
    title,
    description: description.optional(),
    mediaType: z.literal(mediaType),
    mimeType: z.enum([first, ...rest]).meta({ description: `A ${mediaType} container format` }),
    fileSizeBytes,
    organizationId: mediaOrganizationId,
  });
}

/** The mimeType must belong to the mediaType: one variant per media type. */
export const CreateMediaSchema = z
  .discriminatedUnion('mediaType', [createMediaVariant('video'), createMediaVariant('audio')])
  .meta({
    id: 'CreateMediaRequest',
    example: { title: 'Episode 1 (master)', mediaType: 'video', mimeType: 'video/mp4', fileSizeBytes: 10485760 },
  });
export type CreateMediaInput = z.infer<typeof CreateMediaSchema>;

const dimension = z.number().int().min(1).max(16384);

/**
 * Three kinds of PATCH, one schema each: change the title/description; report status ready with the transcoding
 * results; report status failed. Status moves other than transcoding → ready | failed are 422 INVALID_TRANSITION.
 */
export const UpdateMediaSchema = z
  .union([
    patchBody({ title: title.optional(), description: description.optional() }).meta({
      title: 'Metadata',
      description: 'Change the title and/or the description (at any time)',
    }),
    z
      .strictObject({
        status: z.literal('ready'),
        durationSeconds: z.number().int().min(0).max(MAX_DURATION_SECONDS).meta({ example: 1800 }),
        width: dimension.optional().meta({ description: 'Required for video, refused for audio', example: 1920 }),
        height: dimension.optional().meta({ description: 'Required for video, refused for audio', example: 1080 }),
        hlsMasterKey: MediaAssetPathSchema.optional().meta({
          description: 'The HLS master playlist, relative to the media folder',
        }),
        thumbnailKey: MediaAssetPathSchema.optional().meta({
          description: 'The thumbnail, relative to the media folder',
          example: 'thumbnail.jpg',
        }),
        title: title.optional(),
        description: description.optional(),
      })
      .meta({ title: 'Ready', description: 'Transcoding finished: report the results' }),
    z
      .strictObject({
        status: z.literal('failed'),
        failureReason: text(1000).optional().meta({ example: 'unsupported codec' }),
        title: title.optional(),
        description: description.optional(),
      })
      .meta({ title: 'Failed', description: 'Transcoding failed' }),
  ])
  .meta({
    id: 'UpdateMediaRequest',
    example: { status: 'ready', durationSeconds: 1800, width: 1920, height: 1080 },
  });
export type UpdateMediaInput = z.infer<typeof UpdateMediaSchema>;

/** A media item as its managers see it. Storage keys are never returned. */
export const MediaSchema = z
  .object({
    id: IdSchema,
    creatorId: IdSchema,
    organizationId: IdSchema.nullable(),
    title: z.string(),
    description: z.string().nullable(),
    mediaType: z.enum(MEDIA_TYPES),
    mimeType: z.string().meta({ example: 'video/mp4' }),
    fileSizeBytes: z.number().int(),
    status: z.enum(MEDIA_STATUSES),
    durationSeconds: z.number().int().nullable(),
    width: z.number().int().nullable(),
    height: z.number().int().nullable(),
    hasHls: z.boolean().meta({ description: 'An HLS rendition was reported' }),
    hasThumbnail: z.boolean(),
    failureReason: z.string().nullable(),
    uploadedAt: z.iso.datetime().nullable(),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .meta({ id: 'MediaItem' });
export type MediaView = z.infer<typeof MediaSchema>;

export const UploadInstructionsSchema = z
  .object({
    url: z.url().meta({
      description: 'Signed, single-purpose URL of PUT /api/media/{id}/upload: send the file to it exactly as given',
      example:
        'https://content-api.revelations.studio/api/media/3f1f8a0e-1d5b-4c59-9f1e-0b8e6f1c2d3a/upload?expires=1767226500&signature=q2VbJ3xJ0mW1sQn8f4pZ7yT5uR6oE9aD2cB1vN0mK3l',
    }),
    method: z.literal('PUT'),
    expiresAt: z.iso.datetime(),
    headers: z.record(z.string(), z.string()).meta({
      description: 'Headers the upload must carry',
      example: { 'Content-Type': 'video/mp4', 'Content-Length': '10485760' },
    }),
  })
  .meta({ id: 'MediaUploadInstructions' });

export const CreateMediaResponseSchema = z
  .object({ media: MediaSchema, upload: UploadInstructionsSchema })
  .meta({ id: 'CreateMediaResponse' });

/** The query of a signed URL (upload or stream): both parameters come from the URL the API returned. */
export const SignedUrlQuerySchema = z.object({
  expires: queryInt('expires', {
    min: 0,
    max: 99_999_999_999,
    description: 'Expiry of the signed URL, Unix seconds (part of the URL the API returned)',
  }),
  signature: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,128}$/, 'base64url')
    .meta({
      param: { name: 'signature', in: 'query' },
      description: 'HMAC-SHA256, base64url (part of the URL the API returned)',
    }),
});

export const StreamQuerySchema = SignedUrlQuerySchema.extend({
  uid: uuid().meta({
    param: { name: 'uid', in: 'query' },
    description: 'The user the URL was issued to (part of the URL the API returned)',
  }),
});

// ---------------------------------------------------------------------------------------------------------------------
// Content
// ---------------------------------------------------------------------------------------------------------------------

export const CONTENT_VISIBILITIES = ['public', 'purchased_only', 'members_only'] as const;
export const CONTENT_STATUSES = ['draft', 'published', 'archived'] as const;
/** $10,000.00: an upper bound that keeps prices in a 32-bit column and catches unit mistakes. */
export const PRICE_CENTS_MAX = 1_000_000;
export const CONTENT_SLUG_PATTERN = /^[a-z0-9]+(-[a-z0-9]+)*$/;

export const ContentSlugSchema = z
  .string()
  .min(1)
  .max(255)
  .regex(CONTENT_SLUG_PATTERN, 'lowercase letters, digits and single hyphens, no leading or trailing hyphen')
  .meta({
    example: 'the-pilot',
    description: 'Unique per creator (personal content) or per organization, among live content',
  });

const contentFields = {
  title,
  slug: ContentSlugSchema,
  description,
  contentType: z.enum(MEDIA_TYPES),
  mediaItemId: uuid().nullable().meta({
    description:
      "Media you manage: your own, or the organization's media when the content belongs to an organization where you are owner or admin",
  }),
  visibility: z.enum(CONTENT_VISIBILITIES).meta({
    description:
      'public: any signed-in user may stream; purchased_only: needs a purchase (priceCents required); members_only: organization members (organizationId required)',
  }),
  priceCents: z
    .number()
    .int()
    .min(1)
    .max(PRICE_CENTS_MAX)
    .nullable()
    .meta({ example: 499, description: 'Price in cents (USD); required for purchased_only' }),
};

export const CreateContentSchema = z
  .strictObject({
    title: contentFields.title,
    slug: contentFields.slug,
    description: contentFields.description.optional(),
    contentType: contentFields.contentType,
    mediaItemId: contentFields.mediaItemId.optional(),
    visibility: contentFields.visibility.default('public'),
    priceCents: contentFields.priceCents.optional(),
    organizationId: uuid()
      .optional()
      .meta({ description: 'Publish under an organization (owner or admin role); required for members_only' }),
  })
  .meta({
    id: 'CreateContentRequest',
    example: { title: 'Episode 1: The Pilot', slug: 'the-pilot', contentType: 'video', visibility: 'public' },
  });
export type CreateContentInput = z.infer<typeof CreateContentSchema>;

export const UpdateContentSchema = patchBody({
  title: contentFields.title.optional(),
  slug: contentFields.slug.optional(),
  description: contentFields.description.optional(),
  contentType: contentFields.contentType.optional(),
  mediaItemId: contentFields.mediaItemId.optional(),
  visibility: contentFields.visibility.optional(),
  priceCents: contentFields.priceCents.optional(),
}).meta({ id: 'UpdateContentRequest', example: { title: 'Episode 1: The Pilot (remastered)' } });
export type UpdateContentInput = z.infer<typeof UpdateContentSchema>;

export const ContentSchema = z
  .object({
    id: IdSchema,
    creatorId: IdSchema,
    organizationId: IdSchema.nullable(),
    mediaItemId: IdSchema.nullable().meta({ description: 'Shown to its managers only; null for everyone else' }),
    title: z.string().meta({ example: 'Episode 1: The Pilot' }),
    slug: z.string().meta({ example: 'the-pilot' }),
    description: z.string().nullable(),
    contentType: z.enum(MEDIA_TYPES),
    visibility: z.enum(CONTENT_VISIBILITIES),
    priceCents: z.number().int().nullable(),
    currency: z.string().meta({ example: 'usd' }),
    status: z.enum(CONTENT_STATUSES),
    publishedAt: z.iso.datetime().nullable(),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .meta({ id: 'Content' });
export type ContentView = z.infer<typeof ContentSchema>;

export const ContentListSchema = paginated(ContentSchema, 'ContentList');

export const ListContentQuerySchema = PaginationQuerySchema.extend({
  status: queryEnum('status', CONTENT_STATUSES, {
    description: 'Drafts are listed only to those who manage them; everyone else only ever sees published content',
  }).optional(),
  contentType: queryEnum('contentType', MEDIA_TYPES).optional(),
  visibility: queryEnum('visibility', CONTENT_VISIBILITIES).optional(),
  sort: queryEnum('sort', ['createdAt', 'updatedAt', 'publishedAt', 'title']).default('createdAt'),
  order: queryEnum('order', ['asc', 'desc']).default('desc'),
});
export type ListContentQuery = z.infer<typeof ListContentQuerySchema>;

export const CreatorIdParamSchema = z.object({ creatorId: uuidParam('creatorId') });
export const ContentIdParamSchema = z.object({ contentId: uuidParam('contentId') });

// ---------------------------------------------------------------------------------------------------------------------
// Access: streaming URLs and playback progress
// ---------------------------------------------------------------------------------------------------------------------

export const STREAM_TTL_MIN_SECONDS = 60;
export const STREAM_TTL_MAX_SECONDS = 3600;

export const StreamingUrlQuerySchema = z.object({
  ttlSeconds: queryInt('ttlSeconds', {
    min: STREAM_TTL_MIN_SECONDS,
    max: STREAM_TTL_MAX_SECONDS,
    default: STREAM_TTL_MAX_SECONDS,
    description: 'Lifetime of the URL, 60–3600 s (default 3600)',
  }),
});

export const StreamingUrlSchema = z
  .object({
    streamingUrl: z.url().meta({
      description:
        'Signed URL of GET /api/access/stream/{contentId} (supports Range requests): use it exactly as given',
      example:
        'https://content-api.revelations.studio/api/access/stream/3f1f8a0e-1d5b-4c59-9f1e-0b8e6f1c2d3a?uid=9b2c4e1a-5d7f-4e3b-8a6c-1f0e2d3c4b5a&expires=1767229200&signature=Xb1qW2eR3tY4uI5oP6aS7dF8gH9jK0lZ1xC2vB3nM4q',
    }),
    expiresAt: z.iso.datetime(),
  })
  .meta({ id: 'StreamingUrl' });

export const PlaybackProgressInputSchema = z
  .strictObject({
    positionSeconds: z
      .number()
      .min(0)
      .max(MAX_DURATION_SECONDS)
      .meta({ example: 73.4, description: 'Rounded down to whole seconds; at most durationSeconds (else 422)' }),
    durationSeconds: z
      .number()
      .gt(0)
      .max(MAX_DURATION_SECONDS)
      .meta({ example: 1800, description: 'Rounded up to whole seconds' }),
    completed: z.boolean(),
  })
  .meta({ id: 'PlaybackProgressRequest', example: { positionSeconds: 73.4, durationSeconds: 1800, completed: false } });
export type PlaybackProgressInput = z.infer<typeof PlaybackProgressInputSchema>;

export const PlaybackProgressSchema = z
  .object({
    contentId: IdSchema,
    positionSeconds: z.number().int(),
    durationSeconds: z.number().int(),
    completed: z.boolean(),
    updatedAt: z.iso.datetime(),
  })
  .meta({ id: 'PlaybackProgress' });
export type PlaybackProgressView = z.infer<typeof PlaybackProgressSchema>;
