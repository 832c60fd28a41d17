import { z } from '@hono/zod-openapi';
import { atLeastOneField, PaginationQuerySchema, paginated } from './common';

export const ORGANIZATION_ROLES = ['owner', 'admin', 'member'] as const;
export type OrganizationRole = (typeof ORGANIZATION_ROLES)[number];

export const SLUG_MIN = 3;
export const SLUG_MAX = 64;
export const SLUG_PATTERN = /^[a-z0-9]+(-[a-z0-9]+)*$/;

/**
 * Slugs that would collide with routes, product words or impersonation
 * targets. Checked by the API (not the database) and reported by check-slug.
 */
export const RESERVED_SLUGS: ReadonlySet<string> = new Set([
  'admin',
  'administrator',
  'api',
  'app',
  'assets',
  'auth',
  'billing',
  'blog',
  'check-slug',
  'codex',
  'content',
  'dashboard',
  'docs',
  'help',
  'login',
  'logout',
  'mail',
  'me',
  'media',
  'new',
  'null',
  'organizations',
  'register',
  'root',
  'security',
  'settings',
  'signin',
  'signout',
  'signup',
  'slug',
  'static',
  'status',
  'support',
  'system',
  'undefined',
  'www',
]);

export type SlugProblem = 'invalid' | 'reserved';

/** Why a slug cannot be used, regardless of whether it is taken; null when it is acceptable. */
export function slugProblem(slug: string): SlugProblem | null {
  if (slug.length < SLUG_MIN || slug.length > SLUG_MAX || !SLUG_PATTERN.test(slug)) return 'invalid';
  if (RESERVED_SLUGS.has(slug)) return 'reserved';
  return null;
}

export const SlugSchema = z
  .string()
  .min(SLUG_MIN)
  .max(SLUG_MAX)
  .regex(SLUG_PATTERN, 'lowercase letters, digits and single hyphens, no leading or trailing hyphen')
  .refine((s) => !RESERVED_SLUGS.has(s), { message: 'this slug is reserved' })
  .openapi({
    example: 'acme-studio',
    description: `${SLUG_MIN}–${SLUG_MAX} characters: a-z, 0-9 and single hyphens; reserved words refused`,
  });

const httpUrl = z
  .string()
  .max(2048)
  .url()
  .refine((u) => /^https?:\/\//i.test(u), { message: 'must be an http(s) URL' })
  .openapi({ example: 'https://example.com/logo.png' });

const fields = {
  name: z.string().trim().min(1).max(255).openapi({ example: 'Acme Studio' }),
  slug: SlugSchema,
  description: z.string().max(5000).nullable().openapi({ example: 'Films about making films.' }),
  logoUrl: httpUrl.nullable(),
  websiteUrl: httpUrl.nullable(),
};

export const CreateOrganizationSchema = z
  .object({
    name: fields.name,
    slug: fields.slug,
    description: fields.description.optional(),
    logoUrl: fields.logoUrl.optional(),
    websiteUrl: fields.websiteUrl.optional(),
  })
  .strict()
  .openapi('CreateOrganizationRequest');

export const UpdateOrganizationSchema = z
  .object({
    name: fields.name.optional(),
    slug: fields.slug.optional(),
    description: fields.description.optional(),
    logoUrl: fields.logoUrl.optional(),
    websiteUrl: fields.websiteUrl.optional(),
  })
  .strict()
  .refine(...atLeastOneField)
  .openapi('UpdateOrganizationRequest');

export type CreateOrganizationInput = z.infer<typeof CreateOrganizationSchema>;
export type UpdateOrganizationInput = z.infer<typeof UpdateOrganizationSchema>;

export const OrganizationRoleSchema = z.enum(ORGANIZATION_ROLES).openapi('OrganizationRole');

/** What anyone may read about an organization: its public profile. No member data. */
export const OrganizationSchema = z
  .object({
    id: z.string().uuid(),
    name: z.string(),
    slug: z.string(),
    description: z.string().nullable(),
    logoUrl: z.string().nullable(),
    websiteUrl: z.string().nullable(),
    createdAt: z.string().datetime(),
    updatedAt: z.string().datetime(),
    myRole: OrganizationRoleSchema.nullable().openapi({
      description: "The caller's role in the organization; null when anonymous or not a member",
    }),
  })
  .openapi('Organization');

export const OrganizationListSchema = paginated(OrganizationSchema, 'OrganizationList');

export const ListOrganizationsQuerySchema = PaginationQuerySchema.extend({
  search: z
    .string()
    .trim()
    .min(1)
    .max(100)
    .optional()
    .openapi({ param: { name: 'search', in: 'query' }, description: 'Case-insensitive match on name or slug' }),
  scope: z
    .enum(['all', 'member', 'owned'])
    .default('all')
    .openapi({
      param: { name: 'scope', in: 'query' },
      description:
        'all: every organization; member: where I am a member (any role); owned: where I am an owner. member and owned need a session.',
    }),
  sort: z
    .enum(['createdAt', 'name', 'slug'])
    .default('createdAt')
    .openapi({ param: { name: 'sort', in: 'query' } }),
  order: z
    .enum(['asc', 'desc'])
    .default('desc')
    .openapi({ param: { name: 'order', in: 'query' } }),
}).strict();

export const SlugParamSchema = z.object({
  slug: z
    .string()
    .min(1)
    .max(200)
    .openapi({ param: { name: 'slug', in: 'path' }, example: 'acme-studio' }),
});

export const SlugAvailabilitySchema = z
  .object({
    slug: z.string(),
    available: z.boolean(),
    reason: z
      .enum(['invalid', 'reserved', 'taken'])
      .nullable()
      .openapi({ description: 'Why it is not available; null when it is' }),
  })
  .openapi('SlugAvailability');

export const MemberSchema = z
  .object({
    userId: z.string().uuid(),
    name: z.string(),
    email: z
      .string()
      .email()
      .nullable()
      .openapi({ description: 'Visible to owners and admins only; null for other members' }),
    role: OrganizationRoleSchema,
    joinedAt: z.string().datetime(),
  })
  .openapi('OrganizationMember');

export const MemberListSchema = paginated(MemberSchema, 'OrganizationMemberList');

export const AddMemberSchema = z
  .object({
    email: z.string().trim().toLowerCase().email().max(254).optional(),
    userId: z.string().uuid().optional(),
    role: OrganizationRoleSchema.default('member'),
  })
  .strict()
  .refine((v) => (v.email === undefined) !== (v.userId === undefined), {
    message: 'send exactly one of email or userId',
  })
  .openapi('AddOrganizationMemberRequest');

export const UpdateMemberSchema = z
  .object({ role: OrganizationRoleSchema })
  .strict()
  .openapi('UpdateOrganizationMemberRequest');

export const MemberParamsSchema = z.object({
  id: z
    .string()
    .uuid()
    .openapi({ param: { name: 'id', in: 'path' } }),
  userId: z
    .string()
    .uuid()
    .openapi({ param: { name: 'userId', in: 'path' } }),
});
