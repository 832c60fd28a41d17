import { type AddMemberInput, type OrganizationRole, pagination } from '@codex/contract';
import {
  type Database,
  isUniqueViolation,
  organizationMembers,
  organizations,
  type Transaction,
  users,
} from '@codex/database';
import { DomainError } from '@codex/domain';
import { and, asc, count, eq, isNull, ne } from 'drizzle-orm';

export interface MemberView {
  userId: string;
  name: string;
  email: string | null;
  role: OrganizationRole;
  joinedAt: string;
}

const MANAGERS: OrganizationRole[] = ['owner', 'admin'];

/**
 * Organization membership. Rules:
 * - any member may list members; emails are shown to owners and admins only;
 * - owners and admins add members; only owners grant the admin or owner role;
 * - only owners change roles; owners remove anyone, admins remove plain members;
 * - anyone may leave; the last owner can be neither removed, demoted nor leave.
 * Every change runs in a transaction that locks the organization row, so two
 * owners demoting each other at once cannot leave it without an owner.
 */
export class MemberService {
  constructor(private readonly db: Database) {}

  /** Locks the live organization and returns the caller's role (null if not a member). */
  private async lockOrganization(tx: Transaction, organizationId: string, userId: string) {
    const [org] = await tx
      .select({ id: organizations.id })
      .from(organizations)
      .where(and(eq(organizations.id, organizationId), isNull(organizations.deletedAt)))
      .for('update');
    if (!org) throw new DomainError('ORGANIZATION_NOT_FOUND', 'Organization not found');
    return this.roleOf(tx, organizationId, userId);
  }

  private async roleOf(db: Database | Transaction, organizationId: string, userId: string) {
    const [row] = await db
      .select({ role: organizationMembers.role })
      .from(organizationMembers)
      .where(and(eq(organizationMembers.organizationId, organizationId), eq(organizationMembers.userId, userId)));
    return row?.role ?? null;
  }

  private async otherOwners(tx: Transaction, organizationId: string, userId: string) {
    const [row] = await tx
      .select({ n: count() })
      .from(organizationMembers)
      .where(
        and(
          eq(organizationMembers.organizationId, organizationId),
          eq(organizationMembers.role, 'owner'),
          ne(organizationMembers.userId, userId),
        ),
      );
    return Number(row?.n ?? 0);
  }

  async list(organizationId: string, callerId: string, page: number, limit: number) {
    const [org] = await this.db
      .select({ role: organizationMembers.role })
      .from(organizations)
      .leftJoin(
        organizationMembers,
        and(eq(organizationMembers.organizationId, organizations.id), eq(organizationMembers.userId, callerId)),
      )
      .where(and(eq(organizations.id, organizationId), isNull(organizations.deletedAt)));
    if (!org) throw new DomainError('ORGANIZATION_NOT_FOUND', 'Organization not found');
    if (!org.role) throw new DomainError('NOT_A_MEMBER', 'Only members can see the member list');
    const showEmail = MANAGERS.includes(org.role);
    const where = eq(organizationMembers.organizationId, organizationId);
    const [rows, totals] = await Promise.all([
      this.db
        .select({
          userId: users.id,
          name: users.name,
          email: users.email,
          role: organizationMembers.role,
          joinedAt: organizationMembers.createdAt,
        })
        .from(organizationMembers)
        .innerJoin(users, eq(users.id, organizationMembers.userId))
        .where(where)
        .orderBy(asc(organizationMembers.createdAt), asc(users.id))
        .limit(limit)
        .offset((page - 1) * limit),
      this.db.select({ n: count() }).from(organizationMembers).where(where),
    ]);
    return {
      items: rows.map((r) => ({
        userId: r.userId,
        name: r.name,
        email: showEmail ? r.email : null,
        role: r.role,
        joinedAt: r.joinedAt.toISOString(),
      })),
      pagination: pagination(page, limit, Number(totals[0]?.n ?? 0)),
    };
  }

  async add(organizationId: string, callerId: string, input: AddMemberInput): Promise<MemberView> {
    try {
      return await this.db.transaction(async (tx) => {
        const callerRole = await this.lockOrganization(tx, organizationId, callerId);
        if (!callerRole || !MANAGERS.includes(callerRole)) {
          throw new DomainError('ORGANIZATION_ROLE_REQUIRED', 'Only owners and admins can add members');
        }
        if (input.role !== 'member' && callerRole !== 'owner') {
          throw new DomainError('ORGANIZATION_ROLE_REQUIRED', 'Only owners can grant the admin or owner role');
        }
        const [user] = await tx
          .select({ id: users.id, name: users.name, email: users.email })
          .from(users)
          .where('userId' in input ? eq(users.id, input.userId) : eq(users.email, input.email));
        if (!user) throw new DomainError('USER_NOT_FOUND', 'No user matches that email or id');
        const [member] = await tx
          .insert(organizationMembers)
          .values({ organizationId, userId: user.id, role: input.role })
          .returning();
        if (!member) throw new Error('insert returned no row');
        return {
          userId: user.id,
          name: user.name,
          email: user.email,
          role: member.role,
          joinedAt: member.createdAt.toISOString(),
        };
      });
    } catch (e) {
      if (isUniqueViolation(e)) throw new DomainError('ALREADY_MEMBER', 'That user is already a member');
      throw e;
    }
  }

  async updateRole(
    organizationId: string,
    callerId: string,
    targetUserId: string,
    role: OrganizationRole,
  ): Promise<MemberView> {
    return this.db.transaction(async (tx) => {
      const callerRole = await this.lockOrganization(tx, organizationId, callerId);
      if (callerRole !== 'owner') throw new DomainError('ORGANIZATION_ROLE_REQUIRED', 'Only owners can change roles');
      const current = await this.roleOf(tx, organizationId, targetUserId);
      if (!current) throw new DomainError('MEMBER_NOT_FOUND', 'That user is not a member');
      if (current === 'owner' && role !== 'owner' && (await this.otherOwners(tx, organizationId, targetUserId)) === 0) {
        throw new DomainError('LAST_OWNER', 'The last owner cannot be demoted; make someone else an owner first');
      }
      const [member] = await tx
        .update(organizationMembers)
        .set({ role, updatedAt: new Date() })
        .where(
          and(eq(organizationMembers.organizationId, organizationId), eq(organizationMembers.userId, targetUserId)),
        )
        .returning();
      const [user] = await tx
        .select({ name: users.name, email: users.email })
        .from(users)
        .where(eq(users.id, targetUserId));
      if (!member || !user) throw new DomainError('MEMBER_NOT_FOUND', 'That user is not a member');
      return {
        userId: targetUserId,
        name: user.name,
        email: user.email,
        role: member.role,
        joinedAt: member.createdAt.toISOString(),
      };
    });
  }

  /** Removes another member (owners: anyone; admins: plain members), or the caller itself (leave). */
  async remove(organizationId: string, callerId: string, targetUserId: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      const callerRole = await this.lockOrganization(tx, organizationId, callerId);
      const leaving = targetUserId === callerId;
      if (!callerRole) {
        throw leaving
          ? new DomainError('MEMBER_NOT_FOUND', 'You are not a member of this organization')
          : new DomainError('ORGANIZATION_ROLE_REQUIRED', 'Only owners and admins can remove members');
      }
      const target = leaving ? callerRole : await this.roleOf(tx, organizationId, targetUserId);
      if (!leaving) {
        if (!MANAGERS.includes(callerRole)) {
          throw new DomainError('ORGANIZATION_ROLE_REQUIRED', 'Only owners and admins can remove members');
        }
        if (!target) throw new DomainError('MEMBER_NOT_FOUND', 'That user is not a member');
        if (callerRole === 'admin' && target !== 'member') {
          throw new DomainError('ORGANIZATION_ROLE_REQUIRED', 'Admins can remove plain members only');
        }
      }
      if (target === 'owner' && (await this.otherOwners(tx, organizationId, targetUserId)) === 0) {
        throw new DomainError(
          'LAST_OWNER',
          'The last owner cannot leave or be removed; make someone else an owner first',
        );
      }
      await tx
        .delete(organizationMembers)
        .where(
          and(eq(organizationMembers.organizationId, organizationId), eq(organizationMembers.userId, targetUserId)),
        );
    });
  }
}
