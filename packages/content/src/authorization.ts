/**
 * Who manages content and media — one decision, used by every read of unpublished items and every write:
 *
 * - personal items (no organization): their creator;
 * - organization items: the organization's owners and admins, read from the database on every call — whoever
 *   created the item. A plain member, a former member or a demoted admin manages none of them, their own included.
 *
 * Managing means: seeing drafts and media, updating, publishing, unpublishing, deleting, attaching media, and
 * previewing the stream without a purchase or membership.
 */
import { type DatabaseOrTransaction, organizationMembers, organizations } from '@codex/database';
import { and, eq, inArray, isNull, or, type SQL, sql } from 'drizzle-orm';
import type { AnyPgColumn } from 'drizzle-orm/pg-core';

export const MANAGER_ROLES = ['owner', 'admin'] as const;

export interface Governed {
  creatorId: string;
  organizationId: string | null;
}

/** Whether the user manages the item. Personal items need no query; organization items one. */
export async function canManage(db: DatabaseOrTransaction, item: Governed, userId: string | undefined) {
  if (!userId) return false;
  if (item.organizationId === null) return item.creatorId === userId;
  const [row] = await db
    .select({ role: organizationMembers.role })
    .from(organizationMembers)
    .innerJoin(organizations, eq(organizations.id, organizationMembers.organizationId))
    .where(
      and(
        eq(organizationMembers.organizationId, item.organizationId),
        eq(organizationMembers.userId, userId),
        inArray(organizationMembers.role, [...MANAGER_ROLES]),
        isNull(organizations.deletedAt),
      ),
    )
    .limit(1);
  return row !== undefined;
}

/**
 * The same decision as a SQL condition over a table with creator_id and organization_id columns, for lists: the
 * rows the user manages.
 */
export function managedBy(
  columns: { creatorId: AnyPgColumn; organizationId: AnyPgColumn },
  userId: string | undefined,
): SQL {
  if (!userId) return sql`false`;
  const managed = sql`${columns.organizationId} in (
    select ${organizationMembers.organizationId} from ${organizationMembers}
    inner join ${organizations} on ${organizations.id} = ${organizationMembers.organizationId}
    where ${organizationMembers.userId} = ${userId}
      and ${organizationMembers.role} in ('owner', 'admin')
      and ${organizations.deletedAt} is null)`;
  return or(and(isNull(columns.organizationId), eq(columns.creatorId, userId)), managed) ?? sql`false`;
}
