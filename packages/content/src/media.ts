import {
  type CreateMediaInput,
  MEDIA_MAX_BYTES,
  type MediaView,
  UPLOAD_URL_TTL_SECONDS,
  type UpdateMediaInput,
} from '@codex/contract';
import { type Database, type DatabaseOrTransaction, type MediaItem, mediaItems } from '@codex/database';
import { DomainError } from '@codex/domain';
import { and, eq, isNull } from 'drizzle-orm';
import { canManage } from './authorization';
import { requireOrganizationPublisher } from './publisher';
import { nowSeconds, type SignedParams, sign, verify } from './signing';
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

const notFound = () => new DomainError('MEDIA_NOT_FOUND', 'Media not found');

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

/** An upload as the HTTP layer hands it over: the signed URL's parameters, the declared type and length, the body. */
export interface UploadRequest {
  expires: number;
  signature: string;
  /** The media type of the body (Content-Type without parameters, lower case); undefined when absent. */
  mimeType: string | undefined;
  /** The byte length the body announces (Content-Length). */
  length: number;
  body: ReadableStream<Uint8Array> | null;
}

/** How to upload: the signed URL's parameters and the headers the upload must carry. */
export interface UploadGrant extends SignedParams {
  headers: { 'Content-Type': string; 'Content-Length': string };
}

/**
 * Media items and their lifecycle:
 *
 *   uploading ──(PUT to the signed upload URL: the bytes are stored)──▶ transcoding
 *   transcoding ──(PATCH status=ready + results, standing in for the transcoding service)──▶ ready
 *   transcoding ──(PATCH status=failed [+ failureReason])──▶ failed
 *
 * ready and failed are final. No other move is possible (422 INVALID_TRANSITION); storage keys are chosen by the
 * server. Media is visible to those who manage it (./authorization): anyone else gets 404, whether or not the id
 * exists.
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

  /** The signature of the upload URL of a media item still in `uploading`. */
  async uploadGrant(media: MediaItem, secret: string): Promise<UploadGrant> {
    const expires = nowSeconds() + UPLOAD_URL_TTL_SECONDS;
    return {
      expires,
      signature: await sign(secret, uploadFields(media, expires)),
      headers: { 'Content-Type': media.mimeType, 'Content-Length': String(media.fileSizeBytes) },
    };
  }

  private async loadManaged(db: DatabaseOrTransaction, id: string, userId: string, lock: boolean) {
    const query = db
      .select()
      .from(mediaItems)
      .where(and(eq(mediaItems.id, id), isNull(mediaItems.deletedAt)));
    const [row] = lock ? await query.for('update') : await query.limit(1);
    if (!row || !(await canManage(db, row, userId))) throw notFound();
    return row;
  }

  get(id: string, userId: string): Promise<MediaItem> {
    return this.loadManaged(this.db, id, userId, false);
  }

  async update(id: string, userId: string, input: UpdateMediaInput): Promise<MediaItem> {
    return this.db.transaction(async (tx) => {
      const row = await this.loadManaged(tx, id, userId, true);
      const changes: Partial<typeof mediaItems.$inferInsert> = { updatedAt: new Date() };
      if (input.title !== undefined) changes.title = input.title;
      if (input.description !== undefined) changes.description = input.description;
      if ('status' in input) Object.assign(changes, transition(row, input));
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
      throw new DomainError('INVALID_SIGNATURE', 'The upload URL is invalid');
    }
    if (req.expires < nowSeconds()) {
      throw new DomainError('URL_EXPIRED', 'The upload URL has expired; create a new media item');
    }
    if (row.status !== 'uploading') {
      throw new DomainError('ALREADY_UPLOADED', 'This media item has already been uploaded');
    }
    if (req.mimeType !== row.mimeType) {
      throw new DomainError('CONTENT_TYPE_MISMATCH', `Content-Type must be ${row.mimeType}, as declared`, {
        expected: row.mimeType,
      });
    }
    if (req.length > MEDIA_MAX_BYTES) {
      throw new DomainError('PAYLOAD_TOO_LARGE', `Uploads are limited to ${MEDIA_MAX_BYTES} bytes`, {
        maxBytes: MEDIA_MAX_BYTES,
      });
    }
    if (req.length !== row.fileSizeBytes || !req.body) {
      throw new DomainError('SIZE_MISMATCH', 'The body length differs from the declared fileSizeBytes', {
        expected: row.fileSizeBytes,
        received: req.body ? req.length : 0,
      });
    }

    try {
      await putStream(bucket, row.storageKey, req.body, row.fileSizeBytes, row.mimeType);
    } catch (e) {
      if (e instanceof BodyLengthMismatchError) {
        throw new DomainError('SIZE_MISMATCH', 'The body length differs from the declared fileSizeBytes', {
          expected: e.expected,
        });
      }
      throw new DomainError('STORAGE_UNAVAILABLE', 'The file could not be stored, retry later', undefined, {
        cause: e,
      });
    }

    const now = new Date();
    const [updated] = await this.db
      .update(mediaItems)
      .set({ status: 'transcoding', uploadedAt: now, updatedAt: now })
      .where(and(eq(mediaItems.id, id), eq(mediaItems.status, 'uploading')))
      .returning();
    if (!updated) throw new DomainError('ALREADY_UPLOADED', 'This media item has already been uploaded');
    return updated;
  }
}

type StatusReport = Extract<UpdateMediaInput, { status: string }>;

/** The changes of a reported status, or 422 when the move or its results are not allowed. */
function transition(row: MediaItem, input: StatusReport): Partial<typeof mediaItems.$inferInsert> {
  const to = input.status;
  if (row.status !== 'transcoding') {
    throw new DomainError(
      'INVALID_TRANSITION',
      row.status === 'uploading'
        ? 'The media has not been uploaded yet; upload it to the signed URL first'
        : `A media item cannot move from ${row.status} to ${to}`,
      { from: row.status, to, allowed: [] },
    );
  }
  if (input.status === 'failed') return { status: 'failed', failureReason: input.failureReason ?? null };

  if (row.mediaType === 'video') {
    const missing = (['width', 'height'] as const).filter((f) => input[f] === undefined);
    if (missing.length > 0) {
      throw new DomainError(
        'TRANSCODING_RESULTS_REQUIRED',
        `Marking video ready needs the transcoding results: ${missing.join(', ')}`,
        { missing },
      );
    }
  } else if (input.width !== undefined || input.height !== undefined) {
    throw new DomainError('INVALID_TRANSCODING_RESULTS', 'Audio has no width or height', {
      fields: ['width', 'height'],
    });
  }
  const folder = mediaFolder(row.creatorId, row.id);
  return {
    status: 'ready',
    durationSeconds: input.durationSeconds,
    width: input.width ?? null,
    height: input.height ?? null,
    hlsMasterKey: input.hlsMasterKey ? folder + input.hlsMasterKey : null,
    thumbnailKey: input.thumbnailKey ? folder + input.thumbnailKey : null,
    failureReason: null,
  };
}
