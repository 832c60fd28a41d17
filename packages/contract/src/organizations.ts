import { z } from 'zod';
import { IdSchema, PaginationQuerySchema, paginated, patchBody, uuidParam } from './common';
import { email, httpUrl, text, uuid } from './primitives';
import { queryEnum } from './query';

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
  .meta({
    example: 'acme-studio',
    description: `${SLUG_MIN}–${SLUG_MAX} characters: a-z, 0-9 and single hyphens; reserved words refused`,
    not: { enum: [...RESERVED_SLUGS].sort() },
  });

const fields = {
  name: text(255).meta({ example: 'Acme Studio' }),
  slug: SlugSchema,
  description: text(5000, { min: 0 }).nullable().meta({ example: 'Films about making films.' }),
  logoUrl: httpUrl().nullable().meta({ example: 'https://example.com/logo.png' }),
  websiteUrl: httpUrl().nullable().meta({ example: 'https://example.com' }),
};

export const CreateOrganizationSchema = z
  .strictObject({
    name: fields.name,
    slug: fields.slug,
    description: fields.description.optional(),
    logoUrl: fields.logoUrl.optional(),
    websiteUrl: fields.websiteUrl.optional(),
  })
  .meta({
    id: 'CreateOrganizationRequest',
    example: { name: 'Acme Studio', slug: 'acme-studio', description: 'Films about making films.' },
  });

export const UpdateOrganizationSchema = patchBody({
  name: fields.name.optional(),
  slug: fields.slug.optional(),
  description: fields.description.optional(),
  logoUrl: fields.logoUrl.optional(),
  websiteUrl: fields.websiteUrl.optional(),
}).meta({ id: 'UpdateOrganizationRequest', example: { description: 'Films about making films, since 2026.' } });

export type CreateOrganizationInput = z.infer<typeof CreateOrganizationSchema>;
export type UpdateOrganizationInput = z.infer<typeof UpdateOrganizationSchema>;

export const OrganizationRoleSchema = z.enum(ORGANIZATION_ROLES).meta({ id: 'OrganizationRole' });

/** What anyone may read about an organization: its public profile. No member data. */
export const OrganizationSchema = z
  .object({
    id: IdSchema,
    name: z.string().meta({ example: 'Acme Studio' }),
    slug: z.string().meta({ example: 'acme-studio' }),
    description: z.string().nullable(),
    logoUrl: z.string().nullable(),
    websiteUrl: z.string().nullable(),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
    myRole: OrganizationRoleSchema.nullable().meta({
      description: "The caller's role in the organization; null when anonymous or not a member",
    }),
  })
  .meta({ id: 'Organization' });

export const OrganizationListSchema = paginated(OrganizationSchema, 'OrganizationList');

export const ListOrganizationsQuerySchema = PaginationQuerySchema.extend({
  search: text(100)
    .optional()
    .meta({ param: { name: 'search', in: 'query' }, description: 'Case-insensitive match on name or slug' }),
  scope: queryEnum('scope', ['all', 'member', 'owned'], {
    description:
      'all: every organization; member: where I am a member (any role); owned: where I am an owner. member and owned need a session (else 401).',
  }).default('all'),
  sort: queryEnum('sort', ['createdAt', 'name', 'slug']).default('createdAt'),
  order: queryEnum('order', ['asc', 'desc']).default('desc'),
});

export const SlugParamSchema = z.object({
  slug: text(200, { keepWhitespace: true }).meta({ param: { name: 'slug', in: 'path' }, example: 'acme-studio' }),
});

export const SlugAvailabilitySchema = z
  .object({
    slug: z.string(),
    available: z.boolean(),
    reason: z
      .enum(['invalid', 'reserved', 'taken'])
      .nullable()
      .meta({ description: 'Why it is not available; null when it is' }),
  })
  .meta({ id: 'SlugAvailability' });

export const MemberSchema = z
  .object({
    userId: IdSchema,
    name: z.string().meta({ example: 'Ada Lovelace' }),
    email: z
      .string()
      .nullable()
      .meta({ description: 'Visible to owners and admins only; null for other members', example: 'ada@example.com' }),
    role: OrganizationRoleSchema,
    joinedAt: z.iso.datetime(),
  })
  .meta({ id: 'OrganizationMember' });

export const MemberListSchema = paginated(MemberSchema, 'OrganizationMemberList');

const roleToGrant = OrganizationRoleSchema.default('member').meta({
  description: 'member (default); admin and owner can be granted by owners only',
});

/** A user is named by exactly one of email or userId. */
export const AddMemberSchema = z
  .union([
    z.strictObject({ email: email(), role: roleToGrant }).meta({ title: 'By email' }),
    z.strictObject({ userId: uuid(), role: roleToGrant }).meta({ title: 'By user id' }),
  ])
  .meta({ id: 'AddOrganizationMemberRequest', example: { email: 'grace@example.com', role: 'member' } });
export type AddMemberInput = z.infer<typeof AddMemberSchema>;

export const UpdateMemberSchema = z
  .strictObject({ role: OrganizationRoleSchema })
  .meta({ id: 'UpdateOrganizationMemberRequest', example: { role: 'admin' } });

export const MemberParamsSchema = z.object({ id: uuidParam('id'), userId: uuidParam('userId') });
