import type { ContentView, CreateContentInput, ListContentQuery, UpdateContentInput } from '@codex/contract';
import { pagination } from '@codex/contract';
import {
  type Content,
  content,
  type Database,
  type DatabaseOrTransaction,
  isCheckViolation,
  isUniqueViolation,
  mediaItems,
} from '@codex/database';
import { DomainError } from '@codex/domain';
import { and, asc, count, eq, getTableColumns, isNull, or, type SQL, sql } from 'drizzle-orm';
import { canManage, managedBy } from './authorization';
import { requireOrganizationPublisher } from './publisher';

/** Everyone sees the metadata of published content; the media id is its managers' business. */
export function contentView(row: Content, managedByViewer: boolean): ContentView {
  return {
    id: row.id,
    creatorId: row.creatorId,
    organizationId: row.organizationId,
    mediaItemId: managedByViewer ? row.mediaItemId : null,
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

const contentNotFound = () => new DomainError('CONTENT_NOT_FOUND', 'Content not found');

/** The refusal for someone who can see the item (it is published) but does not manage it. */
export function notManager(item: { organizationId: string | null }) {
  return item.organizationId === null
    ? new DomainError('NOT_CONTENT_OWNER', 'Only the creator can change personal content')
    : new DomainError(
        'ORGANIZATION_ROLE_REQUIRED',
        "Changing an organization's content needs the owner or admin role there",
      );
}

/**
 * Loads live content for a caller who means to change it, locked for the transaction: 404 when it does not exist
 * or the caller could not see it anyway (a draft they do not manage), 403 when they can see it (published) but
 * do not manage it.
 */
async function lockManaged(tx: DatabaseOrTransaction, id: string, userId: string): Promise<Content> {
  const [row] = await tx
    .select()
    .from(content)
    .where(and(eq(content.id, id), isNull(content.deletedAt)))
    .for('update');
  if (!row) throw contentNotFound();
  if (!(await canManage(tx, row, userId))) {
    if (row.status !== 'published') throw contentNotFound();
    throw notManager(row);
  }
  return row;
}

/**
 * A media item the caller may attach to content: media they manage (see ./authorization), and — for media of an
 * organization — only to that organization's content. Anything else is 404, exactly like a missing id, so ids
 * cannot be probed.
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
  const fits = media && (media.organizationId === null || media.organizationId === organizationId);
  if (!media || !fits || !(await canManage(db, media, userId))) {
    throw new DomainError('MEDIA_NOT_FOUND', 'Media not found');
  }
  return media;
}

function checkRules(state: {
  visibility: Content['visibility'];
  priceCents: number | null;
  organizationId: string | null;
}) {
  if (state.visibility === 'purchased_only' && state.priceCents === null) {
    throw new DomainError('PRICE_REQUIRED', 'purchased_only content needs a priceCents greater than 0', {
      field: 'priceCents',
    });
  }
  if (state.visibility === 'members_only' && state.organizationId === null) {
    throw new DomainError('ORGANIZATION_REQUIRED', 'members_only content must belong to an organization', {
      field: 'visibility',
    });
  }
}

function checkMediaType(contentType: Content['contentType'], mediaType: Content['contentType']) {
  if (contentType !== mediaType) {
    throw new DomainError('MEDIA_TYPE_MISMATCH', `A ${contentType} cannot use ${mediaType} media`, {
      contentType,
      mediaType,
    });
  }
}

const SLUG_INDEXES = ['content_creator_slug_live_unique', 'content_org_slug_live_unique'];

function mapWriteError(e: unknown, slug: string): never {
  if (SLUG_INDEXES.some((index) => isUniqueViolation(e, index))) {
    throw new DomainError('SLUG_TAKEN', `The slug "${slug}" is already used by this owner`, { field: 'slug' });
  }
  if (isCheckViolation(e)) {
    throw new DomainError('CONTENT_RULE_VIOLATION', 'The content breaks a pricing or visibility rule');
  }
  throw e;
}

const MEDIA_NOT_READY_REASON: Record<string, string> = {
  uploading: 'the media has not been uploaded yet',
  transcoding: 'the media is still transcoding',
  failed: 'the media failed to transcode',
};

/** A content row and whether the viewer manages it (to show manager-only fields). */
export interface ContentRead {
  row: Content;
  manages: boolean;
}

/**
 * Content: metadata that points at one media item. Created as a draft; publishing needs ready media. Who manages
 * an item is decided in ./authorization (personal: the creator; organization: its owners and admins). Slug
 * uniqueness (per creator, or per organization) is enforced by partial unique indexes.
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

  /** Managers see the item in any status; everyone else sees published content only (404 otherwise). One query. */
  async get(id: string, viewerId: string | undefined): Promise<ContentRead> {
    const [found] = await this.db
      .select({ row: getTableColumns(content), manages: sql<boolean>`${managedBy(content, viewerId)}` })
      .from(content)
      .where(and(eq(content.id, id), isNull(content.deletedAt)))
      .limit(1);
    if (!found || (!found.manages && found.row.status !== 'published')) throw contentNotFound();
    return { row: found.row, manages: Boolean(found.manages) };
  }

  /** Only the fields sent change; the visibility, pricing and media rules are checked on the result. */
  async update(id: string, userId: string, input: UpdateContentInput): Promise<Content> {
    try {
      return await this.db.transaction(async (tx) => {
        const row = await lockManaged(tx, id, userId);
        const next = {
          visibility: input.visibility ?? row.visibility,
          priceCents: input.priceCents !== undefined ? input.priceCents : row.priceCents,
          organizationId: row.organizationId,
          contentType: input.contentType ?? row.contentType,
          mediaItemId: input.mediaItemId !== undefined ? input.mediaItemId : row.mediaItemId,
        };
        checkRules(next);
        if (next.mediaItemId && (input.mediaItemId !== undefined || input.contentType !== undefined)) {
          const media = await usableMedia(tx, next.mediaItemId, userId, row.organizationId);
          checkMediaType(next.contentType, media.mediaType);
          if (row.status === 'published' && media.status !== 'ready') {
            throw new DomainError('MEDIA_NOT_READY', 'Published content needs ready media', {
              mediaStatus: media.status,
            });
          }
        }
        if (row.status === 'published' && !next.mediaItemId) {
          throw new DomainError('MEDIA_REQUIRED', 'Published content needs a media item; unpublish it first');
        }
        const changes: Partial<typeof content.$inferInsert> = { updatedAt: new Date() };
        if (input.title !== undefined) changes.title = input.title;
        if (input.slug !== undefined) changes.slug = input.slug;
        if (input.description !== undefined) changes.description = input.description;
        if (input.contentType !== undefined) changes.contentType = input.contentType;
        if (input.mediaItemId !== undefined) changes.mediaItemId = input.mediaItemId;
        if (input.visibility !== undefined) changes.visibility = input.visibility;
        if (input.priceCents !== undefined) changes.priceCents = input.priceCents;
        const [updated] = await tx.update(content).set(changes).where(eq(content.id, id)).returning();
        if (!updated) throw contentNotFound();
        return updated;
      });
    } catch (e) {
      mapWriteError(e, input.slug ?? '');
    }
  }

  /** draft → published. Needs ready media (422 with the reason). */
  async publish(id: string, userId: string): Promise<Content> {
    return this.db.transaction(async (tx) => {
      const row = await lockManaged(tx, id, userId);
      if (row.status === 'published') return row;
      if (!row.mediaItemId) throw new DomainError('MEDIA_REQUIRED', 'Attach a media item before publishing');
      const [media] = await tx
        .select({ status: mediaItems.status, deletedAt: mediaItems.deletedAt })
        .from(mediaItems)
        .where(eq(mediaItems.id, row.mediaItemId));
      if (!media || media.deletedAt) throw new DomainError('MEDIA_REQUIRED', 'The media item no longer exists');
      if (media.status !== 'ready') {
        throw new DomainError(
          'MEDIA_NOT_READY',
          `Cannot publish: ${MEDIA_NOT_READY_REASON[media.status] ?? 'the media is not ready'}`,
          { mediaStatus: media.status },
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
      const row = await lockManaged(tx, id, userId);
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
      await lockManaged(tx, id, userId);
      const now = new Date();
      await tx.update(content).set({ deletedAt: now, updatedAt: now }).where(eq(content.id, id));
    });
  }

  /**
   * A creator's content: published items for everyone, plus the unpublished ones the viewer manages. One query
   * whatever the page size: the page carries the total (`count(*) over ()`); only a page past the end, which has no
   * row to carry it, asks for the count on its own.
   */
  async list(creatorId: string, query: ListContentQuery, viewerId: string | undefined) {
    const manages = managedBy(content, viewerId);
    const conditions: SQL[] = [eq(content.creatorId, creatorId), isNull(content.deletedAt)];
    const visible = or(eq(content.status, 'published'), manages);
    if (visible) conditions.push(visible);
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
    const rows = await this.db
      .select({
        row: getTableColumns(content),
        manages: sql<boolean>`${manages}`,
        total: sql<number>`count(*) over ()`.mapWith(Number),
      })
      .from(content)
      .where(where)
      .orderBy(ordering, asc(content.id))
      .limit(query.limit)
      .offset((query.page - 1) * query.limit);
    let total = rows[0]?.total ?? 0;
    if (rows.length === 0 && query.page > 1) {
      const [counted] = await this.db.select({ n: count() }).from(content).where(where);
      total = Number(counted?.n ?? 0);
    }
    return {
      items: rows.map((r) => contentView(r.row, Boolean(r.manages))),
      pagination: pagination(query.page, query.limit, total),
    };
  }
}
