import type { PlaybackProgressInput, PlaybackProgressView } from '@codex/contract';
import {
  type Content,
  content,
  contentAccess,
  type Database,
  type MediaItem,
  mediaItems,
  playbackProgress,
} from '@codex/database';
import { DomainError } from '@codex/domain';
import { membershipRole } from '@codex/organizations';
import { and, eq, gt, isNull, or } from 'drizzle-orm';
import { canManage } from './authorization';
import { nowSeconds, type SignedParams, sign, verify } from './signing';

interface Loaded {
  content: Content;
  media: MediaItem | null;
}

/** What the signature of a streaming URL covers: the content, the media item and its key, the user, the expiry. */
const streamFields = (contentId: string, media: MediaItem, userId: string, expires: number) => [
  'stream',
  contentId,
  media.id,
  media.storageKey,
  userId,
  expires,
];

export interface StreamTarget {
  key: string;
  mimeType: string;
  size: number;
}

/** The parameters of a streaming URL: for whom it was issued, its expiry and its signature. */
export interface StreamGrant extends SignedParams {
  uid: string;
  expiresAt: string;
}

/**
 * Who may stream what:
 * - those who manage the content (./authorization): always, drafts included, to preview;
 * - public content: any signed-in user;
 * - purchased_only: a content_access row of the user that is neither revoked nor expired;
 * - members_only: membership (any role) in the content's organization, read from the database on every call.
 * Unpublished or deleted content is 404 for everyone but its managers.
 */
export class ContentAccessService {
  constructor(private readonly db: Database) {}

  private async load(contentId: string): Promise<Loaded | null> {
    const [row] = await this.db
      .select({ content, media: mediaItems })
      .from(content)
      .leftJoin(mediaItems, and(eq(mediaItems.id, content.mediaItemId), isNull(mediaItems.deletedAt)))
      .where(and(eq(content.id, contentId), isNull(content.deletedAt)))
      .limit(1);
    return row ?? null;
  }

  /** Loads content the user can see (404 otherwise) and checks the user's access to it (403 with the reason). */
  async requireAccess(contentId: string, userId: string): Promise<Loaded> {
    const row = await this.load(contentId);
    if (!row) throw new DomainError('CONTENT_NOT_FOUND', 'Content not found');
    const manages = await canManage(this.db, row.content, userId);
    if (!manages && row.content.status !== 'published') {
      throw new DomainError('CONTENT_NOT_FOUND', 'Content not found');
    }
    if (!manages) await this.checkAccess(row.content, userId);
    return row;
  }

  /** Access for someone who does not manage the content. */
  private async checkAccess(item: Content, userId: string) {
    if (item.visibility === 'public') return;
    if (item.visibility === 'purchased_only') {
      const [grant] = await this.db
        .select({ id: contentAccess.id })
        .from(contentAccess)
        .where(
          and(
            eq(contentAccess.userId, userId),
            eq(contentAccess.contentId, item.id),
            isNull(contentAccess.revokedAt),
            or(isNull(contentAccess.expiresAt), gt(contentAccess.expiresAt, new Date())),
          ),
        )
        .limit(1);
      if (!grant) {
        throw new DomainError('NO_PURCHASE', 'This content must be purchased first', {
          priceCents: item.priceCents,
          currency: item.currency,
        });
      }
      return;
    }
    // members_only: organizationId is guaranteed by a CHECK constraint.
    const role = item.organizationId ? await membershipRole(this.db, item.organizationId, userId) : null;
    if (!role) {
      throw new DomainError('NOT_A_MEMBER', 'This content is for members of its organization', {
        organizationId: item.organizationId,
      });
    }
  }

  /** The signature of a time-limited streaming URL of this content for this user. */
  async streamGrant(contentId: string, userId: string, ttlSeconds: number, secret: string): Promise<StreamGrant> {
    const { media } = await this.requireAccess(contentId, userId);
    if (media?.status !== 'ready') {
      throw new DomainError('MEDIA_NOT_READY', 'The media of this content is not ready for streaming', {
        mediaStatus: media?.status ?? null,
      });
    }
    const expires = nowSeconds() + ttlSeconds;
    return {
      uid: userId,
      expires,
      signature: await sign(secret, streamFields(contentId, media, userId, expires)),
      expiresAt: new Date(expires * 1000).toISOString(),
    };
  }

  /**
   * Checks a streaming URL: the signature (which also fails when the content's media changed since it was
   * issued), the expiry, and that the user still has access (a revoked purchase or a removed member stops at once).
   * Every refusal is 403, so the URL reveals nothing about content that is not the caller's.
   */
  async resolveStream(
    contentId: string,
    q: { uid: string; expires: number; signature: string },
    secret: string,
  ): Promise<StreamTarget> {
    const row = await this.load(contentId);
    if (!row?.media || !(await verify(secret, streamFields(contentId, row.media, q.uid, q.expires), q.signature))) {
      throw new DomainError('INVALID_SIGNATURE', 'The streaming URL is invalid');
    }
    if (q.expires < nowSeconds()) {
      throw new DomainError('URL_EXPIRED', 'The streaming URL has expired; request a new one');
    }
    const manages = await canManage(this.db, row.content, q.uid);
    if (row.media.status !== 'ready' || (!manages && row.content.status !== 'published')) {
      throw new DomainError('CONTENT_UNAVAILABLE', 'This content is no longer available');
    }
    if (!manages) await this.checkAccess(row.content, q.uid);
    return { key: row.media.storageKey, mimeType: row.media.mimeType, size: row.media.fileSizeBytes };
  }

  /** Upsert on (user, content): the latest report wins, rewinds included. */
  async saveProgress(contentId: string, userId: string, input: PlaybackProgressInput): Promise<PlaybackProgressView> {
    await this.requireAccess(contentId, userId);
    if (input.positionSeconds > input.durationSeconds) {
      throw new DomainError('INVALID_PROGRESS', 'positionSeconds must not exceed durationSeconds', {
        field: 'positionSeconds',
      });
    }
    const values = {
      positionSeconds: Math.floor(input.positionSeconds),
      durationSeconds: Math.ceil(input.durationSeconds),
      completed: input.completed,
    };
    const now = new Date();
    const [row] = await this.db
      .insert(playbackProgress)
      .values({ userId, contentId, ...values })
      .onConflictDoUpdate({
        target: [playbackProgress.userId, playbackProgress.contentId],
        set: { ...values, updatedAt: now },
      })
      .returning();
    if (!row) throw new Error('upsert returned no row');
    return progressView(row);
  }

  async getProgress(contentId: string, userId: string): Promise<PlaybackProgressView> {
    await this.requireAccess(contentId, userId);
    const [row] = await this.db
      .select()
      .from(playbackProgress)
      .where(and(eq(playbackProgress.userId, userId), eq(playbackProgress.contentId, contentId)))
      .limit(1);
    if (!row) throw new DomainError('PROGRESS_NOT_FOUND', 'No playback progress saved for this content');
    return progressView(row);
  }
}

function progressView(row: typeof playbackProgress.$inferSelect): PlaybackProgressView {
  return {
    contentId: row.contentId,
    positionSeconds: row.positionSeconds,
    durationSeconds: row.durationSeconds,
    completed: row.completed,
    updatedAt: row.updatedAt.toISOString(),
  };
}
