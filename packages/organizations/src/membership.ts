import type { OrganizationRole } from '@codex/contract';
import { type DatabaseOrTransaction, organizationMembers, organizations } from '@codex/database';
import { and, eq, isNull } from 'drizzle-orm';

/**
 * The caller's role in a live organization, read from the database on every
 * call (no cache), so a membership change takes effect at once for every
 * access decision. Null when not a member or the organization is gone.
 */
export async function membershipRole(
  db: DatabaseOrTransaction,
  organizationId: string,
  userId: string,
): Promise<OrganizationRole | null> {
  const [row] = await db
    .select({ role: organizationMembers.role })
    .from(organizationMembers)
    .innerJoin(organizations, eq(organizations.id, organizationMembers.organizationId))
    .where(
      and(
        eq(organizationMembers.organizationId, organizationId),
        eq(organizationMembers.userId, userId),
        isNull(organizations.deletedAt),
      ),
    )
    .limit(1);
  return row?.role ?? null;
}
