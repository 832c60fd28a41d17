import {
  ApiError,
  BusinessRuleError,
  ConflictError,
  type CreateMediaInput,
  ForbiddenError,
  MEDIA_MAX_BYTES,
  type MediaView,
  NotFoundError,
  UPLOAD_URL_TTL_SECONDS,
  type UpdateMediaInput,
} from '@codex/contract';
import { type Database, type MediaItem, mediaItems } from '@codex/database';
import { and, eq, isNull } from 'drizzle-orm';
import { requireOrganizationPublisher } from './publisher';
import { nowSeconds, sign, verify } from './signing';
import { BodyLengthMismatchError, mediaFolder, originalKey, putStream } from './storage';

export function mediaView(row: MediaItem): MediaView {
  return {
    id: row.id,
    creatorId: row.creatorId,
    organizationId: row.organizationId,
    title: row.title,
    description: row.description,
    mediaType: row.mediaType,
    mimeType: row.mimeType,
    fileSizeBytes: row.fileSizeBytes,
    status: row.status,
    durationSeconds: row.durationSeconds,
    width: row.width,
    height: row.height,
    hasHls: row.hlsMasterKey !== null,
    hasThumbnail: row.thumbnailKey !== null,
    failureReason: row.failureReason,
    uploadedAt: row.uploadedAt?.toISOString() ?? null,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

const notFound = () => new NotFoundError('Media not found', 'MEDIA_NOT_FOUND');

/** What the signature of an upload URL covers: the media, its owner, its key, the declared type and size, the expiry. */
const uploadFields = (m: MediaItem, expires: number) => [
  'upload',
  m.id,
  m.creatorId,
  m.storageKey,
  m.mimeType,
  m.fileSizeBytes,
  expires,
];

export interface UploadRequest {
  expires: number;
  signature: string;
  contentType: string | undefined;
  contentLength: string | undefined;
  body: ReadableStream<Uint8Array> | null;
}

/**
 * Media items and their lifecycle:
 *
 *   uploading ──(PUT to the signed upload URL: the bytes are stored)──▶ transcoding
 *   transcoding ──(PATCH status=ready + results, by the owner standing in for the transcoding service)──▶ ready
 *   transcoding ──(PATCH status=failed [+ failureReason])──▶ failed
 *
 * ready and failed are final. No other move is possible (422 INVALID_TRANSITION); storage keys are chosen by the
 * server. Media is private to its creator: anyone else gets 404, whether or not the id exists.
 */
export class MediaService {
  constructor(private readonly db: Database) {}

  async create(input: CreateMediaInput, userId: string): Promise<MediaItem> {
    if (input.organizationId) await requireOrganizationPublisher(this.db, input.organizationId, userId);
    const id = crypto.randomUUID();
    const [row] = await this.db
      .insert(mediaItems)
      .values({
        id,
        creatorId: userId,
        organizationId: input.organizationId ?? null,
        title: input.title,
        description: input.description ?? null,
        mediaType: input.mediaType,
        mimeType: input.mimeType,
        fileSizeBytes: input.fileSizeBytes,
        storageKey: originalKey(userId, id),
        status: 'uploading',
      })
      .returning();
    if (!row) throw new Error('insert returned no row');
    return row;
  }

  /** The signed upload URL for a media item still in `uploading`. */
  async uploadInstructions(media: MediaItem, baseUrl: string, secret: string) {
    const expires = nowSeconds() + UPLOAD_URL_TTL_SECONDS;
    const signature = await sign(secret, uploadFields(media, expires));
    const url = new URL(`/api/media/${media.id}/upload`, baseUrl);
    url.searchParams.set('expires', String(expires));
    url.searchParams.set('signature', signature);
    return {
      url: url.toString(),
      method: 'PUT' as const,
      expiresAt: new Date(expires * 1000).toISOString(),
      headers: { 'Content-Type': media.mimeType, 'Content-Length': String(media.fileSizeBytes) },
    };
  }

  async get(id: string, userId: string): Promise<MediaItem> {
    const [row] = await this.db
      .select()
      .from(mediaItems)
      .where(and(eq(mediaItems.id, id), isNull(mediaItems.deletedAt)))
      .limit(1);
    if (!row || row.creatorId !== userId) throw notFound();
    return row;
  }

  async update(id: string, userId: string, input: UpdateMediaInput): Promise<MediaItem> {
    return this.db.transaction(async (tx) => {
      const [row] = await tx
        .select()
        .from(mediaItems)
        .where(and(eq(mediaItems.id, id), isNull(mediaItems.deletedAt)))
        .for('update');
      if (!row || row.creatorId !== userId) throw notFound();
      const changes: Partial<typeof mediaItems.$inferInsert> = { updatedAt: new Date() };
      if (input.title !== undefined) changes.title = input.title;
      if (input.description !== undefined) changes.description = input.description;
      if (input.status !== undefined) Object.assign(changes, transition(row, input));
      const [updated] = await tx.update(mediaItems).set(changes).where(eq(mediaItems.id, id)).returning();
      if (!updated) throw notFound();
      return updated;
    });
  }

  /**
   * PUT /api/media/{id}/upload: checks the signed URL, the declared type and size, streams the body into R2 and
   * moves the media to transcoding. Nothing changes in the database unless the whole body was stored.
   */
  async receiveUpload(id: string, req: UploadRequest, bucket: R2Bucket, secret: string): Promise<MediaItem> {
    const [row] = await this.db
      .select()
      .from(mediaItems)
      .where(and(eq(mediaItems.id, id), isNull(mediaItems.deletedAt)))
      .limit(1);
    // An unknown id cannot carry a valid signature: same answer as a forged one, so ids are not probed here.
    if (!row || !(await verify(secret, uploadFields(row, req.expires), req.signature))) {
      throw new ForbiddenError('The upload URL is invalid', 'INVALID_SIGNATURE');
    }
    if (req.expires < nowSeconds())
      throw new ForbiddenError('The upload URL has expired; create a new media item', 'URL_EXPIRED');
    if (row.status !== 'uploading')
      throw new ConflictError('This media item has already been uploaded', 'ALREADY_UPLOADED');

    const type = (req.contentType ?? '').split(';')[0]?.trim().toLowerCase();
    if (type !== row.mimeType) {
      throw new ApiError(415, 'CONTENT_TYPE_MISMATCH', `Content-Type must be ${row.mimeType}, as declared`, {
        expected: row.mimeType,
      });
    }
    if (req.contentLength === undefined || !/^\d+$/.test(req.contentLength)) {
      throw new ApiError(411, 'LENGTH_REQUIRED', 'Send the file with a Content-Length header');
    }
    const length = Number(req.contentLength);
    if (length > MEDIA_MAX_BYTES) {
      throw new ApiError(413, 'PAYLOAD_TOO_LARGE', `Uploads are limited to ${MEDIA_MAX_BYTES} bytes`, {
        maxBytes: MEDIA_MAX_BYTES,
      });
    }
    if (length !== row.fileSizeBytes || !req.body) {
      throw new BusinessRuleError('Content-Length differs from the declared fileSizeBytes', 'SIZE_MISMATCH', {
        expected: row.fileSizeBytes,
        received: req.body ? length : 0,
      });
    }

    try {
      await putStream(bucket, row.storageKey, req.body, row.fileSizeBytes, row.mimeType);
    } catch (e) {
      if (e instanceof BodyLengthMismatchError) {
        throw new BusinessRuleError('The body length differs from the declared fileSizeBytes', 'SIZE_MISMATCH', {
          expected: e.expected,
        });
      }
      throw e;
    }

    const now = new Date();
    const [updated] = await this.db
      .update(mediaItems)
      .set({ status: 'transcoding', uploadedAt: now, updatedAt: now })
      .where(and(eq(mediaItems.id, id), eq(mediaItems.status, 'uploading')))
      .returning();
    if (!updated) throw new ConflictError('This media item has already been uploaded', 'ALREADY_UPLOADED');
    return updated;
  }
}

/** The changes of a reported status, or 422 when the move or its results are not allowed. */
function transition(row: MediaItem, input: UpdateMediaInput): Partial<typeof mediaItems.$inferInsert> {
  const to = input.status;
  if (row.status !== 'transcoding' || (to !== 'ready' && to !== 'failed')) {
    const allowed = row.status === 'transcoding' ? ['ready', 'failed'] : [];
    throw new BusinessRuleError(
      row.status === 'uploading'
        ? 'The media has not been uploaded yet; upload it to the signed URL first'
        : `A media item cannot move from ${row.status} to ${to}`,
      'INVALID_TRANSITION',
      { from: row.status, to, allowed },
    );
  }
  if (to === 'failed') return { status: 'failed', failureReason: input.failureReason ?? null };

  const missing: string[] = [];
  if (input.durationSeconds === undefined) missing.push('durationSeconds');
  if (row.mediaType === 'video') {
    if (input.width === undefined) missing.push('width');
    if (input.height === undefined) missing.push('height');
  }
  if (missing.length > 0) {
    throw new BusinessRuleError(
      `Marking ${row.mediaType} ready needs the transcoding results: ${missing.join(', ')}`,
      'TRANSCODING_RESULTS_REQUIRED',
      {
        missing,
      },
    );
  }
  if (row.mediaType === 'audio' && (input.width !== undefined || input.height !== undefined)) {
    throw new BusinessRuleError('Audio has no width or height', 'INVALID_TRANSCODING_RESULTS', {
      fields: ['width', 'height'],
    });
  }
  const folder = mediaFolder(row.creatorId, row.id);
  return {
    status: 'ready',
    durationSeconds: input.durationSeconds ?? null,
    width: input.width ?? null,
    height: input.height ?? null,
    hlsMasterKey: input.hlsMasterKey ? folder + input.hlsMasterKey : null,
    thumbnailKey: input.thumbnailKey ? folder + input.thumbnailKey : null,
    failureReason: null,
  };
}
