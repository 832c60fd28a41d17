import {
  type CreateOrganizationInput,
  type OrganizationRole,
  pagination,
  slugProblem,
  type UpdateOrganizationInput,
} from '@codex/contract';
import { type Database, isUniqueViolation, organizationMembers, organizations } from '@codex/database';
import { DomainError } from '@codex/domain';
import { and, asc, count, desc, eq, ilike, isNull, or, type SQL, sql } from 'drizzle-orm';

export interface OrganizationView {
  id: string;
  name: string;
  slug: string;
  description: string | null;
  logoUrl: string | null;
  websiteUrl: string | null;
  createdAt: string;
  updatedAt: string;
  myRole: OrganizationRole | null;
}

type OrgRow = typeof organizations.$inferSelect;

function view(row: OrgRow, myRole: OrganizationRole | null): OrganizationView {
  return {
    id: row.id,
    name: row.name,
    slug: row.slug,
    description: row.description,
    logoUrl: row.logoUrl,
    websiteUrl: row.websiteUrl,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    myRole,
  };
}

const SLUG_INDEX = 'organizations_slug_live_unique';

function slugTaken(slug: string) {
  return new DomainError('SLUG_TAKEN', `The slug "${slug}" is already taken`, { field: 'slug' });
}

/** The caller's role joined onto the organization, in one query. */
function roleJoin(userId: string | undefined) {
  return and(
    eq(organizationMembers.organizationId, organizations.id),
    userId ? eq(organizationMembers.userId, userId) : sql`false`,
  );
}

/**
 * Organization profiles. Uniqueness of live slugs is decided by the partial
 * unique index, never by check-then-insert: of two concurrent creates of one
 * slug exactly one commits, the other maps to 409.
 */
export class OrganizationService {
  constructor(private readonly db: Database) {}

  async create(input: CreateOrganizationInput, userId: string): Promise<OrganizationView> {
    try {
      return await this.db.transaction(async (tx) => {
        const [org] = await tx
          .insert(organizations)
          .values({
            name: input.name,
            slug: input.slug,
            description: input.description ?? null,
            logoUrl: input.logoUrl ?? null,
            websiteUrl: input.websiteUrl ?? null,
            creatorId: userId,
          })
          .returning();
        if (!org) throw new Error('insert returned no row');
        await tx.insert(organizationMembers).values({ organizationId: org.id, userId, role: 'owner' });
        return view(org, 'owner');
      });
    } catch (e) {
      if (isUniqueViolation(e, SLUG_INDEX)) throw slugTaken(input.slug);
      throw e;
    }
  }

  private async findOne(where: SQL | undefined, userId: string | undefined) {
    const [row] = await this.db
      .select({ org: organizations, role: organizationMembers.role })
      .from(organizations)
      .leftJoin(organizationMembers, roleJoin(userId))
      .where(and(where, isNull(organizations.deletedAt)))
      .limit(1);
    if (!row) throw new DomainError('ORGANIZATION_NOT_FOUND', 'Organization not found');
    return view(row.org, row.role ?? null);
  }

  getById(id: string, userId?: string) {
    return this.findOne(eq(organizations.id, id), userId);
  }

  getBySlug(slug: string, userId?: string) {
    return this.findOne(eq(organizations.slug, slug), userId);
  }

  async checkSlug(slug: string) {
    const problem = slugProblem(slug);
    if (problem) return { slug, available: false, reason: problem };
    const [row] = await this.db
      .select({ id: organizations.id })
      .from(organizations)
      .where(and(eq(organizations.slug, slug), isNull(organizations.deletedAt)))
      .limit(1);
    return row ? { slug, available: false, reason: 'taken' as const } : { slug, available: true, reason: null };
  }

  /** Owner or admin; only the fields sent change. */
  async update(id: string, input: UpdateOrganizationInput, userId: string): Promise<OrganizationView> {
    const role = await this.requireRole(id, userId, ['owner', 'admin']);
    const changes: Partial<typeof organizations.$inferInsert> = { updatedAt: new Date() };
    for (const key of ['name', 'slug', 'description', 'logoUrl', 'websiteUrl'] as const) {
      if (input[key] !== undefined) (changes as Record<string, unknown>)[key] = input[key];
    }
    try {
      const [org] = await this.db
        .update(organizations)
        .set(changes)
        .where(and(eq(organizations.id, id), isNull(organizations.deletedAt)))
        .returning();
      if (!org) throw new DomainError('ORGANIZATION_NOT_FOUND', 'Organization not found');
      return view(org, role);
    } catch (e) {
      if (isUniqueViolation(e, SLUG_INDEX)) throw slugTaken(input.slug ?? '');
      throw e;
    }
  }

  /** Owner only; soft delete, which frees the slug. */
  async remove(id: string, userId: string): Promise<void> {
    await this.requireRole(id, userId, ['owner']);
    const [org] = await this.db
      .update(organizations)
      .set({ deletedAt: new Date(), updatedAt: new Date() })
      .where(and(eq(organizations.id, id), isNull(organizations.deletedAt)))
      .returning({ id: organizations.id });
    if (!org) throw new DomainError('ORGANIZATION_NOT_FOUND', 'Organization not found');
  }

  /** One page plus one count query, whatever the page size. */
  async list(
    query: {
      page: number;
      limit: number;
      search?: string | undefined;
      scope: 'all' | 'member' | 'owned';
      sort: 'createdAt' | 'name' | 'slug';
      order: 'asc' | 'desc';
    },
    userId: string | undefined,
  ) {
    if (query.scope !== 'all' && !userId)
      throw new DomainError('AUTHENTICATION_REQUIRED', 'Sign in to list your organizations');
    const conditions: (SQL | undefined)[] = [isNull(organizations.deletedAt)];
    if (query.search) {
      const pattern = `%${query.search.replace(/[\\%_]/g, (m) => `\\${m}`)}%`;
      conditions.push(or(ilike(organizations.name, pattern), ilike(organizations.slug, pattern)));
    }
    if (query.scope === 'member') conditions.push(sql`${organizationMembers.userId} IS NOT NULL`);
    if (query.scope === 'owned') conditions.push(eq(organizationMembers.role, 'owner'));
    const where = and(...conditions);
    const column = { createdAt: organizations.createdAt, name: organizations.name, slug: organizations.slug }[
      query.sort
    ];
    const direction = query.order === 'asc' ? asc : desc;

    const [rows, totals] = await Promise.all([
      this.db
        .select({ org: organizations, role: organizationMembers.role })
        .from(organizations)
        .leftJoin(organizationMembers, roleJoin(userId))
        .where(where)
        .orderBy(direction(column), asc(organizations.id))
        .limit(query.limit)
        .offset((query.page - 1) * query.limit),
      this.db
        .select({ total: count() })
        .from(organizations)
        .leftJoin(organizationMembers, roleJoin(userId))
        .where(where),
    ]);
    const total = totals[0]?.total ?? 0;
    return {
      items: rows.map((r) => view(r.org, r.role ?? null)),
      pagination: pagination(query.page, query.limit, Number(total)),
    };
  }

  /** 404 when the organization does not exist (or is deleted), 403 when the caller's role is not allowed. */
  async requireRole(id: string, userId: string, allowed: OrganizationRole[]): Promise<OrganizationRole> {
    const [row] = await this.db
      .select({ id: organizations.id, role: organizationMembers.role })
      .from(organizations)
      .leftJoin(organizationMembers, roleJoin(userId))
      .where(and(eq(organizations.id, id), isNull(organizations.deletedAt)))
      .limit(1);
    if (!row) throw new DomainError('ORGANIZATION_NOT_FOUND', 'Organization not found');
    if (!row.role || !allowed.includes(row.role)) {
      throw new DomainError(
        'ORGANIZATION_ROLE_REQUIRED',
        `This needs the ${allowed.join(' or ')} role in the organization`,
      );
    }
    return row.role;
  }
}
