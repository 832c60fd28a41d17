/**
 * The edits of the breaking-change matrix (test/pipeline/contract-gate-matrix.test.ts): each is made in the code of a
 * clone (schemas in packages/contract/src, routes in workers/<w>/src/routes), then `npm run contract`, then
 * `npm run contract:diff -- <base>` as CI runs it. The ONE place to update when the code changes shape.
 *
 * Rules for a recipe: `search` is exact text that must occur exactly once in `file` (the test fails, naming the
 * recipe, when it does not); `replace` takes its place. `expect` is the gate's verdict (FAIL = exit 1); the gate's
 * output must hold a line for `operation` (operationId, method, path) that is BREAKING (FAIL, or a breaking change
 * released with `bump: 'major'`) or ok (PASS), and whose text matches `says`.
 */

export interface Replacement {
  file: string;
  search: string;
  replace: string;
}

export interface ContractEdit extends Replacement {
  /** Short name, shown in the matrix. */
  id: string;
  /** Further replacements, same rules. */
  more?: Replacement[];
  /** Bump "version" in openapi/contract-version.json (to the next major or minor) before `npm run contract`. */
  bump?: 'major' | 'minor';
  expect: 'FAIL' | 'PASS';
  /** The line's label; by default BREAKING for FAIL, ok for PASS. */
  line?: 'BREAKING' | 'ok';
  operation: [operationId: string, method: string, path: string];
  says: RegExp;
}

const ORG_ROUTES = 'workers/identity-api/src/routes/organizations.ts';
const ORG_SCHEMAS = 'packages/contract/src/organizations.ts';
const CONTENT_SCHEMAS = 'packages/contract/src/content.ts';
const CONTENT_ROUTES = 'workers/content-api/src/routes/content.ts';
const MEDIA_ROUTES = 'workers/content-api/src/routes/media.ts';
const AUTH_SCHEMAS = 'packages/contract/src/auth.ts';
const ECOM_SCHEMAS = 'packages/contract/src/ecom.ts';

const removeDeleteOrganization: Replacement = {
  file: ORG_ROUTES,
  search: 'organizationRoutes.openapi(deleteOrganization, async (c) => {',
  replace: 'organizationRoutes.openapi({ ...deleteOrganization, hide: true }, async (c) => {',
};

export const CONTRACT_EDITS: ContractEdit[] = [
  // ── breaking: each must fail ───────────────────────────────────────────────────────────────────────────────────
  {
    id: 'operation removed',
    ...removeDeleteOrganization,
    expect: 'FAIL',
    operation: ['deleteOrganization', 'DELETE', '/api/organizations/{id}'],
    says: /operation removed/,
  },
  {
    id: 'path renamed',
    file: ORG_ROUTES,
    search: "path: '/api/organizations/check-slug/{slug}',",
    replace: "path: '/api/organizations/slug-check/{slug}',",
    expect: 'FAIL',
    operation: ['checkOrganizationSlug', 'GET', '/api/organizations/check-slug/{slug}'],
    says: /path renamed to `\/api\/organizations\/slug-check\/\{slug\}`/,
  },
  {
    id: 'request field made required',
    file: CONTENT_SCHEMAS,
    search: 'priceCents: contentFields.priceCents.optional(),\n    organizationId: uuid()',
    replace: 'priceCents: contentFields.priceCents,\n    organizationId: uuid()',
    // The schema's example must name the now-required field too (examples are linted against their schemas).
    more: [
      {
        file: CONTENT_SCHEMAS,
        search:
          "example: { title: 'Episode 1: The Pilot', slug: 'the-pilot', contentType: 'video', visibility: 'public' },",
        replace:
          "example: { title: 'Episode 1: The Pilot', slug: 'the-pilot', contentType: 'video', visibility: 'public', priceCents: 499 },",
      },
    ],
    expect: 'FAIL',
    operation: ['createContent', 'POST', '/api/content'],
    says: /request body: .*became required: `priceCents`/,
  },
  {
    id: 'new required request field',
    file: ORG_SCHEMAS,
    search: 'slug: fields.slug,',
    replace: 'slug: fields.slug,\n    tagline: z.string().max(140),',
    more: [
      {
        file: ORG_SCHEMAS,
        search: "example: { name: 'Acme Studio', slug: 'acme-studio', description: 'Films about making films.' },",
        replace:
          "example: { name: 'Acme Studio', slug: 'acme-studio', description: 'Films about making films.', tagline: 'Films' },",
      },
    ],
    expect: 'FAIL',
    operation: ['createOrganization', 'POST', '/api/organizations'],
    says: /request body: .*became required: `tagline`/,
  },
  {
    id: 'request field removed (strict body)',
    file: ORG_SCHEMAS,
    search: "websiteUrl: fields.websiteUrl.optional(),\n  })\n  .meta({\n    id: 'CreateOrganizationRequest',",
    replace: "})\n  .meta({\n    id: 'CreateOrganizationRequest',",
    expect: 'FAIL',
    operation: ['createOrganization', 'POST', '/api/organizations'],
    says: /request body › websiteUrl: .*`websiteUrl`.* removed/,
  },
  {
    id: 'request maxLength narrowed',
    file: ORG_SCHEMAS,
    search: "name: text(255).meta({ example: 'Acme Studio' }),",
    replace: "name: text(100).meta({ example: 'Acme Studio' }),",
    expect: 'FAIL',
    operation: ['createOrganization', 'POST', '/api/organizations'],
    says: /request body › name: `maxLength` of `name` changed from '255' to '100'/,
  },
  {
    id: 'request pattern narrowed',
    file: CONTENT_SCHEMAS,
    search: 'export const CONTENT_SLUG_PATTERN = /^[a-z0-9]+(-[a-z0-9]+)*$/;',
    replace: 'export const CONTENT_SLUG_PATTERN = /^[a-z]+(-[a-z]+)*$/;',
    expect: 'FAIL',
    operation: ['createContent', 'POST', '/api/content'],
    says: /request body › slug: `pattern` of `slug` changed/,
  },
  {
    id: 'request minimum raised',
    file: CONTENT_SCHEMAS,
    search: '.min(1)\n  .max(MEDIA_MAX_BYTES)',
    replace: '.min(1024)\n  .max(MEDIA_MAX_BYTES)',
    expect: 'FAIL',
    operation: ['createMedia', 'POST', '/api/media'],
    // createMedia's body is a oneOf (one variant per media type): the line names the variant.
    says: /request body › \(oneOf #1\)\.fileSizeBytes: Lower bound of `fileSizeBytes` changed from '>= 1' to '>= 1024'/,
  },
  {
    id: 'request enum value removed (query)',
    file: ORG_SCHEMAS,
    search: "queryEnum('scope', ['all', 'member', 'owned'],",
    replace: "queryEnum('scope', ['all', 'member'],",
    expect: 'FAIL',
    operation: ['listOrganizations', 'GET', '/api/organizations'],
    says: /query parameter `scope`: .*lost values: 'owned'/,
  },
  {
    id: 'request enum value removed (body)',
    file: CONTENT_SCHEMAS,
    search: '  contentType: z.enum(MEDIA_TYPES),\n  mediaItemId: uuid()',
    replace: "  contentType: z.enum(['video']),\n  mediaItemId: uuid()",
    expect: 'FAIL',
    operation: ['createContent', 'POST', '/api/content'],
    says: /request body › contentType: .*lost values: 'audio'/,
  },
  {
    id: 'request media type changed',
    file: ORG_ROUTES,
    search: 'request: { params: IdParamSchema, body: jsonBody(UpdateOrganizationSchema) },',
    replace:
      "request: { params: IdParamSchema, body: { required: true, content: { 'application/merge-patch+json': { schema: UpdateOrganizationSchema } } } },",
    expect: 'FAIL',
    operation: ['updateOrganization', 'PATCH', '/api/organizations/{id}'],
    says: /Media type `application\/json` became `application\/merge-patch\+json`/,
  },
  {
    id: 'new required query parameter',
    file: ORG_SCHEMAS,
    search: 'export const ListOrganizationsQuerySchema = PaginationQuerySchema.extend({',
    replace:
      "export const ListOrganizationsQuerySchema = PaginationQuerySchema.extend({\n  region: z.string().meta({ param: { name: 'region', in: 'query' } }),",
    expect: 'FAIL',
    operation: ['listOrganizations', 'GET', '/api/organizations'],
    says: /Required `region` query parameter was added/,
  },
  {
    id: 'new required header parameter',
    file: MEDIA_ROUTES,
    search: 'request: { params: IdParamSchema },',
    replace: "request: { params: IdParamSchema, headers: z.object({ 'x-client-version': z.string() }) },",
    expect: 'FAIL',
    operation: ['getMedia', 'GET', '/api/media/{id}'],
    says: /Required `x-client-version` header parameter was added/,
  },
  {
    id: 'path parameter type changed',
    file: CONTENT_SCHEMAS,
    search: "export const CreatorIdParamSchema = z.object({ creatorId: uuidParam('creatorId') });",
    replace:
      "export const CreatorIdParamSchema = z.object({ creatorId: z.number().int().meta({ param: { name: 'creatorId', in: 'path' } }) });",
    expect: 'FAIL',
    operation: ['listCreatorContent', 'GET', '/api/content/{creatorId}/list'],
    says: /path parameter `creatorId`: Type changed from 'string \(uuid\)' to 'integer'/,
  },
  {
    id: 'required request body added',
    file: CONTENT_ROUTES,
    search: "request: { params: IdParamSchema },\n  responses: { 200: json(ContentSchema, 'The published content',",
    replace:
      "request: { params: IdParamSchema, body: jsonBody(UpdateContentSchema) },\n  responses: { 200: json(ContentSchema, 'The published content',",
    expect: 'FAIL',
    operation: ['publishContent', 'POST', '/api/content/{id}/publish'],
    says: /request body: a required request body was added/,
  },
  {
    id: 'response property removed',
    file: CONTENT_SCHEMAS,
    search: '    hasThumbnail: z.boolean(),\n',
    replace: '',
    more: [
      {
        file: MEDIA_ROUTES,
        search: '  hasThumbnail: false,\n  failureReason: null,',
        replace: '  failureReason: null,',
      },
    ],
    expect: 'FAIL',
    operation: ['getMedia', 'GET', '/api/media/{id}'],
    says: /response 200 › hasThumbnail: Property `hasThumbnail` was removed/,
  },
  {
    id: 'response property no longer required',
    file: CONTENT_SCHEMAS,
    search: "currency: z.string().meta({ example: 'usd' }),",
    replace: "currency: z.string().optional().meta({ example: 'usd' }),",
    expect: 'FAIL',
    operation: ['getContent', 'GET', '/api/content/{id}'],
    says: /response 200: .*no longer required: `currency`/,
  },
  {
    id: 'response property type changed',
    file: CONTENT_SCHEMAS,
    search: 'fileSizeBytes: z.number().int(),',
    replace: 'fileSizeBytes: z.string(),',
    more: [
      {
        file: MEDIA_ROUTES,
        search: "  fileSizeBytes: 10485760,\n  status: 'ready',",
        replace: "  fileSizeBytes: '10485760',\n  status: 'ready',",
      },
    ],
    expect: 'FAIL',
    operation: ['getMedia', 'GET', '/api/media/{id}'],
    says: /response 200 › fileSizeBytes: Type of `fileSizeBytes` .*'integer' to 'string'/,
  },
  {
    id: 'response enum value added',
    file: ECOM_SCHEMAS,
    search: "status: z.enum(['processed', 'ignored', 'failed'])",
    replace: "status: z.enum(['processed', 'ignored', 'failed', 'queued'])",
    expect: 'FAIL',
    operation: ['receiveStripeBookingWebhook', 'POST', '/webhooks/stripe/booking'],
    says: /response 200 › status: Enum of `status` gained values: 'queued'/,
  },
  {
    id: 'success status changed',
    file: ORG_ROUTES,
    search: "responses: { 201: json(OrganizationSchema, 'Created; the caller is its owner',",
    replace: "responses: { 200: json(OrganizationSchema, 'Created; the caller is its owner',",
    expect: 'FAIL',
    operation: ['createOrganization', 'POST', '/api/organizations'],
    says: /Response `201` became `200`/,
  },
  {
    id: 'security added to a public operation',
    file: MEDIA_ROUTES,
    search: "access: 'signed-url',\n  rateLimit: RATE_LIMIT_PRESETS.api,",
    replace: "access: 'session',\n  rateLimit: RATE_LIMIT_PRESETS.api,",
    expect: 'FAIL',
    operation: ['uploadMedia', 'PUT', '/api/media/{id}/upload'],
    says: /security: Authentication became required/,
  },
  {
    id: 'anonymous access removed',
    file: CONTENT_ROUTES,
    search:
      "access: 'session-optional',\n  request: { params: IdParamSchema },\n  responses: { 200: json(ContentSchema, 'The content',",
    replace:
      "access: 'session',\n  request: { params: IdParamSchema },\n  responses: { 200: json(ContentSchema, 'The content',",
    expect: 'FAIL',
    operation: ['getContent', 'GET', '/api/content/{id}'],
    says: /security: calls without credentials are no longer accepted/,
  },
  // ── the version: a breaking change passes only with a new major version ───────────────────────────────────────
  {
    id: 'operation removed + major bump',
    ...removeDeleteOrganization,
    bump: 'major',
    expect: 'PASS',
    line: 'BREAKING',
    operation: ['deleteOrganization', 'DELETE', '/api/organizations/{id}'],
    says: /operation removed/,
  },
  {
    id: 'operation removed + minor bump',
    ...removeDeleteOrganization,
    bump: 'minor',
    expect: 'FAIL',
    operation: ['deleteOrganization', 'DELETE', '/api/organizations/{id}'],
    says: /operation removed/,
  },
  // ── compatible: each must pass ──────────────────────────────────────────────────────────────────────────────────
  {
    id: 'optional request field added',
    file: ORG_SCHEMAS,
    search: 'slug: fields.slug,',
    replace: 'slug: fields.slug,\n    tagline: z.string().max(140).optional(),',
    expect: 'PASS',
    operation: ['createOrganization', 'POST', '/api/organizations'],
    says: /request body › tagline: added/,
  },
  {
    id: 'response property added',
    file: CONTENT_SCHEMAS,
    search: "currency: z.string().meta({ example: 'usd' }),",
    replace: "currency: z.string().meta({ example: 'usd' }),\n    viewCount: z.number().int().optional(),",
    expect: 'PASS',
    operation: ['getContent', 'GET', '/api/content/{id}'],
    says: /response 200 › viewCount: added/,
  },
  {
    id: 'operation added',
    file: ORG_ROUTES,
    search: 'organizationRoutes.openapi(getOrganization, async (c) => {',
    replace:
      "organizationRoutes.openapi({ ...getOrganization, path: '/api/organizations/{id}/profile', operationId: 'getOrganizationProfile' }, async (c) => {\n  return c.json(await new OrganizationService(getDb(c)).getById(c.req.valid('param').id, c.get('user')?.id), 200);\n});\n\norganizationRoutes.openapi(getOrganization, async (c) => {",
    expect: 'PASS',
    operation: ['getOrganizationProfile', 'GET', '/api/organizations/{id}/profile'],
    says: /operation added/,
  },
  {
    id: 'description changed',
    file: ORG_ROUTES,
    search: "description: 'A soft delete: the organization disappears from every read and its slug becomes free.',",
    replace: "description: 'A soft delete: it disappears from every read, and its slug can be used again.',",
    expect: 'PASS',
    operation: ['deleteOrganization', 'DELETE', '/api/organizations/{id}'],
    says: /description changed/,
  },
  {
    id: 'request enum value added',
    file: ORG_SCHEMAS,
    search: "queryEnum('scope', ['all', 'member', 'owned'],",
    replace: "queryEnum('scope', ['all', 'member', 'owned', 'admin'],",
    expect: 'PASS',
    operation: ['listOrganizations', 'GET', '/api/organizations'],
    says: /query parameter `scope`: `enum` changed/,
  },
  {
    id: 'request maxLength relaxed',
    file: ORG_SCHEMAS,
    search: "name: text(255).meta({ example: 'Acme Studio' }),",
    replace: "name: text(500).meta({ example: 'Acme Studio' }),",
    expect: 'PASS',
    operation: ['createOrganization', 'POST', '/api/organizations'],
    says: /request body › name: `maxLength` changed from 255 to 500/,
  },
  {
    id: 'optional query parameter added',
    file: ORG_SCHEMAS,
    search: 'export const ListOrganizationsQuerySchema = PaginationQuerySchema.extend({',
    replace:
      "export const ListOrganizationsQuerySchema = PaginationQuerySchema.extend({\n  region: z.string().optional().meta({ param: { name: 'region', in: 'query' } }),",
    expect: 'PASS',
    operation: ['listOrganizations', 'GET', '/api/organizations'],
    says: /query parameter `region`: added \(optional\)/,
  },
  {
    id: 'request field made optional',
    file: AUTH_SCHEMAS,
    search: "name: text(USER_NAME_MAX_LENGTH).meta({ example: 'Ada Lovelace' }),",
    replace: "name: text(USER_NAME_MAX_LENGTH).optional().meta({ example: 'Ada Lovelace' }),",
    expect: 'PASS',
    operation: ['registerWithEmail', 'POST', '/api/auth/email/register'],
    says: /request body: `required` changed/,
  },
  {
    id: 'error response added',
    file: ORG_ROUTES,
    search: "errors: ['ORGANIZATION_NOT_FOUND', 'ORGANIZATION_ROLE_REQUIRED'],\n});",
    replace: "errors: ['ORGANIZATION_NOT_FOUND', 'ORGANIZATION_ROLE_REQUIRED', 'SLUG_TAKEN'],\n});",
    expect: 'PASS',
    operation: ['deleteOrganization', 'DELETE', '/api/organizations/{id}'],
    says: /response 409: added/,
  },
  {
    id: 'anonymous access allowed',
    file: MEDIA_ROUTES,
    // The handler still needs a user, so its 401 stays listed: only the security requirement changes.
    search:
      "access: 'session',\n  authorization: MANAGERS,\n  request: { params: IdParamSchema },\n  responses: { 200: json(MediaSchema, 'The media item', { example: MEDIA_EXAMPLE }) },\n  errors: ['MEDIA_NOT_FOUND'],",
    replace:
      "access: 'session-optional',\n  authorization: MANAGERS,\n  request: { params: IdParamSchema },\n  responses: { 200: json(MediaSchema, 'The media item', { example: MEDIA_EXAMPLE }) },\n  errors: ['MEDIA_NOT_FOUND', 'AUTHENTICATION_REQUIRED'],",
    expect: 'PASS',
    operation: ['getMedia', 'GET', '/api/media/{id}'],
    says: /security: calls without credentials are now accepted too/,
  },
];
