import { type DatabaseOrTransaction, organizations } from '@codex/database';
import { DomainError } from '@codex/domain';
import { membershipRole } from '@codex/organizations';
import { and, eq, isNull } from 'drizzle-orm';

/**
 * Publishing (content or media) under an organization needs the owner or admin role there, read from the
 * database on every call. 404 when the organization does not exist (organizations are public profiles, so
 * this reveals nothing), 403 otherwise.
 */
export async function requireOrganizationPublisher(db: DatabaseOrTransaction, organizationId: string, userId: string) {
  const role = await membershipRole(db, organizationId, userId);
  if (role === 'owner' || role === 'admin') return role;
  if (role === null) {
    const [org] = await db
      .select({ id: organizations.id })
      .from(organizations)
      .where(and(eq(organizations.id, organizationId), isNull(organizations.deletedAt)))
      .limit(1);
    if (!org) throw new DomainError('ORGANIZATION_NOT_FOUND', 'Organization not found');
  }
  throw new DomainError(
    'ORGANIZATION_ROLE_REQUIRED',
    'Publishing for an organization needs the owner or admin role there',
  );
}
