import {
  BusinessRuleError,
  ConflictError,
  type ContentView,
  type CreateContentInput,
  ForbiddenError,
  type ListContentQuery,
  NotFoundError,
  pagination,
  type UpdateContentInput,
} from '@codex/contract';
import {
  type Content,
  content,
  type Database,
  type DatabaseOrTransaction,
  isCheckViolation,
  isUniqueViolation,
  mediaItems,
} from '@codex/database';
import { and, asc, count, eq, isNull, type SQL, sql } from 'drizzle-orm';
import { requireOrganizationPublisher } from './publisher';

/** Everyone sees the metadata of published content; the media id is the owner's business. */
export function contentView(row: Content, viewerId: string | undefined): ContentView {
  const isOwner = viewerId === row.creatorId;
  return {
    id: row.id,
    creatorId: row.creatorId,
    organizationId: row.organizationId,
    mediaItemId: isOwner ? row.mediaItemId : null,
    title: row.title,
    slug: row.slug,
    description: row.description,
    contentType: row.contentType,
    visibility: row.visibility,
    priceCents: row.priceCents,
    currency: row.currency,
    status: row.status,
    publishedAt: row.publishedAt?.toISOString() ?? null,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

const SLUG_INDEXES = ['content_creator_slug_live_unique', 'content_org_slug_live_unique'];

const contentNotFound = () => new NotFoundError('Content not found', 'CONTENT_NOT_FOUND');

/**
 * Loads live content for a caller who means to change it: 404 when it does not exist or the caller could not
 * see it anyway (someone else's draft), 403 when the caller can see it (published) but does not own it.
 */
async function lockOwned(tx: DatabaseOrTransaction, id: string, userId: string): Promise<Content> {
  const [row] = await tx
    .select()
    .from(content)
    .where(and(eq(content.id, id), isNull(content.deletedAt)))
    .for('update');
  if (!row) throw contentNotFound();
  if (row.creatorId !== userId) {
    if (row.status !== 'published') throw contentNotFound();
    throw new ForbiddenError('Only the creator can change this content', 'NOT_CONTENT_OWNER');
  }
  return row;
}

/**
 * A media item the caller may attach: their own, or — for organization content — the organization's media while
 * the caller is an owner or admin there (checked by the caller of this function). Someone else's media is 404,
 * exactly like a missing id, so ids cannot be probed.
 */
async function usableMedia(db: DatabaseOrTransaction, mediaId: string, userId: string, organizationId: string | null) {
  const [media] = await db
    .select({
      id: mediaItems.id,
      creatorId: mediaItems.creatorId,
      organizationId: mediaItems.organizationId,
      mediaType: mediaItems.mediaType,
      status: mediaItems.status,
    })
    .from(mediaItems)
    .where(and(eq(mediaItems.id, mediaId), isNull(mediaItems.deletedAt)))
    .limit(1);
  const usable =
    media && (media.creatorId === userId || (organizationId !== null && media.organizationId === organizationId));
  if (!usable) throw new NotFoundError('Media not found', 'MEDIA_NOT_FOUND');
  return media;
}

function checkRules(state: {
  visibility: Content['visibility'];
  priceCents: number | null;
  organizationId: string | null;
}) {
  if (state.visibility === 'purchased_only' && state.priceCents === null) {
    throw new BusinessRuleError('purchased_only content needs a priceCents greater than 0', 'PRICE_REQUIRED', {
      field: 'priceCents',
    });
  }
  if (state.visibility === 'members_only' && state.organizationId === null) {
    throw new BusinessRuleError('members_only content must belong to an organization', 'ORGANIZATION_REQUIRED', {
      field: 'visibility',
    });
  }
}

function checkMediaType(contentType: Content['contentType'], mediaType: Content['contentType']) {
  if (contentType !== mediaType) {
    throw new BusinessRuleError(`A ${contentType} cannot use ${mediaType} media`, 'MEDIA_TYPE_MISMATCH', {
      contentType,
      mediaType,
    });
  }
}

function mapWriteError(e: unknown, slug: string): never {
  if (SLUG_INDEXES.some((index) => isUniqueViolation(e, index))) {
    throw new ConflictError(`The slug "${slug}" is already used by this owner`, 'SLUG_TAKEN', { field: 'slug' });
  }
  if (isCheckViolation(e))
    throw new BusinessRuleError('The content breaks a pricing or visibility rule', 'CONTENT_RULE_VIOLATION');
  throw e;
}

/**
 * Content: metadata that points at one media item. Created as a draft; publishing needs ready media. The owner is
 * the creator; organization content additionally needs the owner/admin role in the organization to create or
 * publish. Slug uniqueness (per creator, or per organization) is enforced by partial unique indexes.
 */
export class ContentService {
  constructor(private readonly db: Database) {}

  async create(input: CreateContentInput, userId: string): Promise<Content> {
    const organizationId = input.organizationId ?? null;
    checkRules({ visibility: input.visibility, priceCents: input.priceCents ?? null, organizationId });
    if (organizationId) await requireOrganizationPublisher(this.db, organizationId, userId);
    if (input.mediaItemId) {
      const media = await usableMedia(this.db, input.mediaItemId, userId, organizationId);
      checkMediaType(input.contentType, media.mediaType);
    }
    try {
      const [row] = await this.db
        .insert(content)
        .values({
          creatorId: userId,
          organizationId,
          mediaItemId: input.mediaItemId ?? null,
          title: input.title,
          slug: input.slug,
          description: input.description ?? null,
          contentType: input.contentType,
          visibility: input.visibility,
          priceCents: input.priceCents ?? null,
          status: 'draft',
        })
        .returning();
      if (!row) throw new Error('insert returned no row');
      return row;
    } catch (e) {
      mapWriteError(e, input.slug);
    }
  }

  /** The owner sees everything; others see published content only (404 otherwise). */
  async get(id: string, viewerId: string | undefined): Promise<Content> {
    const [row] = await this.db
      .select()
      .from(content)
      .where(and(eq(content.id, id), isNull(content.deletedAt)))
      .limit(1);
    if (!row || (row.creatorId !== viewerId && row.status !== 'published')) throw contentNotFound();
    return row;
  }

  /** Only the fields sent change; the visibility, pricing and media rules are checked on the result. */
  async update(id: string, userId: string, input: UpdateContentInput): Promise<Content> {
    const slug = input.slug;
    try {
      return await this.db.transaction(async (tx) => {
        const row = await lockOwned(tx, id, userId);
        const next = {
          visibility: input.visibility ?? row.visibility,
          priceCents: input.priceCents !== undefined ? input.priceCents : row.priceCents,
          organizationId: row.organizationId,
          contentType: input.contentType ?? row.contentType,
          mediaItemId: input.mediaItemId !== undefined ? input.mediaItemId : row.mediaItemId,
        };
        checkRules(next);
        if (input.mediaItemId && row.organizationId && input.mediaItemId !== row.mediaItemId) {
          await requireOrganizationPublisher(tx, row.organizationId, userId);
        }
        if (next.mediaItemId && (input.mediaItemId !== undefined || input.contentType !== undefined)) {
          const media = await usableMedia(tx, next.mediaItemId, userId, row.organizationId);
          checkMediaType(next.contentType, media.mediaType);
          if (row.status === 'published' && media.status !== 'ready') {
            throw new BusinessRuleError('Published content needs ready media', 'MEDIA_NOT_READY', {
              mediaStatus: media.status,
            });
          }
        }
        if (row.status === 'published' && !next.mediaItemId) {
          throw new BusinessRuleError('Published content needs a media item; unpublish it first', 'MEDIA_REQUIRED');
        }
        const changes: Partial<typeof content.$inferInsert> = { updatedAt: new Date() };
        for (const key of [
          'title',
          'slug',
          'description',
          'contentType',
          'mediaItemId',
          'visibility',
          'priceCents',
        ] as const) {
          if (input[key] !== undefined) (changes as Record<string, unknown>)[key] = input[key];
        }
        const [updated] = await tx.update(content).set(changes).where(eq(content.id, id)).returning();
        if (!updated) throw contentNotFound();
        return updated;
      });
    } catch (e) {
      mapWriteError(e, slug ?? '');
    }
  }

  /** draft → published. Needs ready media (422 with the reason) and, for organization content, the publisher role. */
  async publish(id: string, userId: string): Promise<Content> {
    return this.db.transaction(async (tx) => {
      const row = await lockOwned(tx, id, userId);
      if (row.status === 'published') return row;
      if (row.organizationId) await requireOrganizationPublisher(tx, row.organizationId, userId);
      if (!row.mediaItemId) throw new BusinessRuleError('Attach a media item before publishing', 'MEDIA_REQUIRED');
      const [media] = await tx
        .select({ status: mediaItems.status, deletedAt: mediaItems.deletedAt })
        .from(mediaItems)
        .where(eq(mediaItems.id, row.mediaItemId));
      if (!media || media.deletedAt) throw new BusinessRuleError('The media item no longer exists', 'MEDIA_REQUIRED');
      if (media.status !== 'ready') {
        const reason: Record<string, string> = {
          uploading: 'the media has not been uploaded yet',
          transcoding: 'the media is still transcoding',
          failed: 'the media failed to transcode',
        };
        throw new BusinessRuleError(
          `Cannot publish: ${reason[media.status] ?? 'the media is not ready'}`,
          'MEDIA_NOT_READY',
          {
            mediaStatus: media.status,
          },
        );
      }
      const now = new Date();
      const [updated] = await tx
        .update(content)
        .set({ status: 'published', publishedAt: now, updatedAt: now })
        .where(eq(content.id, id))
        .returning();
      if (!updated) throw contentNotFound();
      return updated;
    });
  }

  /** published → draft (idempotent for drafts). */
  async unpublish(id: string, userId: string): Promise<Content> {
    return this.db.transaction(async (tx) => {
      const row = await lockOwned(tx, id, userId);
      if (row.status === 'draft') return row;
      const [updated] = await tx
        .update(content)
        .set({ status: 'draft', publishedAt: null, updatedAt: new Date() })
        .where(eq(content.id, id))
        .returning();
      if (!updated) throw contentNotFound();
      return updated;
    });
  }

  /** Soft delete: gone from every read and stream, the slug becomes free. */
  async remove(id: string, userId: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      await lockOwned(tx, id, userId);
      const now = new Date();
      await tx.update(content).set({ deletedAt: now, updatedAt: now }).where(eq(content.id, id));
    });
  }

  /** A creator's content: the owner sees drafts too, others published only. One page query plus one count. */
  async list(creatorId: string, query: ListContentQuery, viewerId: string | undefined) {
    const conditions: SQL[] = [eq(content.creatorId, creatorId), isNull(content.deletedAt)];
    if (viewerId !== creatorId) conditions.push(eq(content.status, 'published'));
    if (query.status) conditions.push(eq(content.status, query.status));
    if (query.contentType) conditions.push(eq(content.contentType, query.contentType));
    if (query.visibility) conditions.push(eq(content.visibility, query.visibility));
    const where = and(...conditions);
    const column = {
      createdAt: content.createdAt,
      updatedAt: content.updatedAt,
      publishedAt: content.publishedAt,
      title: content.title,
    }[query.sort];
    // NULLS LAST: drafts (no publishedAt) sort after published content in either direction.
    const ordering = sql`${column} ${sql.raw(query.order === 'asc' ? 'asc' : 'desc')} nulls last`;
    const [rows, totals] = await Promise.all([
      this.db
        .select()
        .from(content)
        .where(where)
        .orderBy(ordering, asc(content.id))
        .limit(query.limit)
        .offset((query.page - 1) * query.limit),
      this.db.select({ n: count() }).from(content).where(where),
    ]);
    return {
      items: rows.map((r) => contentView(r, viewerId)),
      pagination: pagination(query.page, query.limit, Number(totals[0]?.n ?? 0)),
    };
  }
}
