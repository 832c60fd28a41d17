/**
 * The error-code catalogue: every `error.code` any Codex worker can answer with, its HTTP status, what it means
 * and what the caller can do about it. It is the single registry the errors are built from:
 *
 * - services throw `new DomainError(code, message?, details?)` — a code, never a status;
 * - the worker toolkit maps the code to its status here, and each route declares the codes it can return, so the
 *   contract lists them per operation (an enum on `error.code`) and the docs publish this table;
 * - `ErrorCode` is the union of the keys: a code that is not in this table does not typecheck.
 *
 * Adding a code: add it here (status, meaning, action), throw it, and declare it on the routes that can return it.
 */

export interface ErrorCatalogueEntry {
  /** The HTTP status every response with this code has. */
  readonly status: 400 | 401 | 403 | 404 | 405 | 409 | 411 | 413 | 415 | 416 | 422 | 429 | 500 | 503;
  /** What happened, for the docs and the client. */
  readonly meaning: string;
  /** What the caller can do about it. */
  readonly action: string;
}

export const ERROR_CATALOGUE = {
  // 400 — the request does not match the contract
  VALIDATION_ERROR: {
    status: 400,
    meaning:
      'The request does not match the contract: a path or query parameter, a header or a body field is missing, has the wrong type or breaks a stated rule (length, pattern, format, range, enum). `details` lists each field with its problem.',
    action: 'Correct the fields named in `details` and send the request again.',
  },
  MALFORMED_JSON: {
    status: 400,
    meaning: 'The body is not well-formed JSON.',
    action: 'Send a valid JSON document with `Content-Type: application/json`.',
  },
  INVALID_EVENT: {
    status: 400,
    meaning: 'A correctly signed webhook body is not a Stripe event.',
    action: 'Only Stripe calls webhook endpoints; check the endpoint URL configured in Stripe.',
  },

  // 401 — who is calling is not established
  AUTHENTICATION_REQUIRED: {
    status: 401,
    meaning: 'The operation needs a signed-in user and the request carries no `codex-session` cookie.',
    action: 'Sign in (POST /api/auth/email/login) and send the `codex-session` cookie it sets.',
  },
  SESSION_INVALID: {
    status: 401,
    meaning:
      'The `codex-session` cookie is not a live session: expired (24 h), signed out, ended by a password reset, or forged.',
    action: 'Sign in again to get a new session cookie.',
  },
  INVALID_CREDENTIALS: {
    status: 401,
    meaning: 'The email and password do not match an account (the answer is the same for an unknown email).',
    action: 'Check the email and password, or reset the password.',
  },
  MISSING_SIGNATURE: {
    status: 401,
    meaning: 'A webhook request without the `stripe-signature` header.',
    action: 'Only Stripe calls webhook endpoints; Stripe always signs its deliveries.',
  },
  INVALID_WEBHOOK_SIGNATURE: {
    status: 401,
    meaning:
      "The `stripe-signature` header does not verify with the endpoint's signing secret: another secret, an altered body, or a timestamp older than 300 s.",
    action: "Configure the endpoint's signing secret (whsec_…) in the worker; Stripe retries the delivery.",
  },

  // 403 — known caller, not allowed
  INVALID_SIGNATURE: {
    status: 403,
    meaning: 'A signed upload or streaming URL whose signature does not match: forged, altered, or for another item.',
    action: 'Use the URL exactly as the API returned it, or request a new one.',
  },
  URL_EXPIRED: {
    status: 403,
    meaning: 'A signed upload or streaming URL past its expiry.',
    action:
      'Request a new URL (streaming: GET /api/access/streaming-url/{contentId}; upload: create a new media item).',
  },
  NOT_CONTENT_OWNER: {
    status: 403,
    meaning: 'Personal content or media can be changed by its creator only.',
    action: 'Sign in as the creator, or ask them to make the change.',
  },
  ORGANIZATION_ROLE_REQUIRED: {
    status: 403,
    meaning:
      'The operation needs a role the caller does not have in the organization (owner, or owner/admin), or the caller is not a member.',
    action: 'Ask an owner of the organization for the role named in the message.',
  },
  NOT_A_MEMBER: {
    status: 403,
    meaning: 'Members-only content, or the member list, is for members of the organization.',
    action: 'Ask an owner or admin of the organization to add you as a member.',
  },
  NO_PURCHASE: {
    status: 403,
    meaning:
      'purchased_only content needs a purchase; the caller has none (or it was refunded). `details` give the price.',
    action: 'Buy it: POST /checkout/create, then request the streaming URL again after the payment.',
  },
  CONTENT_UNAVAILABLE: {
    status: 403,
    meaning:
      'A streaming URL for content that has been unpublished, or whose media is no longer ready, since it was issued.',
    action: 'Request a new streaming URL; if the content is still unavailable, it has been withdrawn.',
  },

  // 404 — not found (or not visible to the caller: the answer does not reveal which)
  ROUTE_NOT_FOUND: {
    status: 404,
    meaning: 'No operation of this worker has this path.',
    action: 'Check the path and the worker (host) against the contract.',
  },
  CONTENT_NOT_FOUND: {
    status: 404,
    meaning: 'No live content with this id that the caller can see (drafts are visible to their managers only).',
    action: 'Check the id; a deleted or unpublished item is gone for everyone but its managers.',
  },
  MEDIA_NOT_FOUND: {
    status: 404,
    meaning: 'No live media item with this id that the caller manages.',
    action: 'Check the id; media is visible to its creator and, for organization media, to owners and admins.',
  },
  MEDIA_FILE_MISSING: {
    status: 404,
    meaning: 'The media item is ready but its file is missing from storage.',
    action: 'Tell the creator: the file must be uploaded again as a new media item and attached to the content.',
  },
  ORGANIZATION_NOT_FOUND: {
    status: 404,
    meaning: 'No live organization with this id or slug.',
    action: 'Check the id or slug (GET /api/organizations lists them).',
  },
  USER_NOT_FOUND: {
    status: 404,
    meaning: 'No registered user has this email address or id.',
    action: 'Ask the person to register first, then add them.',
  },
  MEMBER_NOT_FOUND: {
    status: 404,
    meaning: 'The user is not a member of the organization.',
    action: 'Check the user id against GET /api/organizations/{id}/members.',
  },
  PROGRESS_NOT_FOUND: {
    status: 404,
    meaning: 'No playback position has been saved for this content.',
    action: 'Start from the beginning; save the position with POST /api/access/playback-progress/{contentId}.',
  },

  // 405
  METHOD_NOT_ALLOWED: {
    status: 405,
    meaning: 'The path exists but not with this HTTP method; the `Allow` header lists the methods it has.',
    action: 'Use one of the methods in `Allow`.',
  },

  // 409 — conflicts with the current state
  SLUG_TAKEN: {
    status: 409,
    meaning: 'The slug is already used: by another live organization, or by live content of the same owner.',
    action: 'Choose another slug (organizations: GET /api/organizations/check-slug/{slug}).',
  },
  EMAIL_TAKEN: {
    status: 409,
    meaning: 'An account with this email address already exists.',
    action: 'Sign in instead, or reset the password.',
  },
  ALREADY_MEMBER: {
    status: 409,
    meaning: 'The user is already a member of the organization.',
    action: 'Change their role with PATCH /api/organizations/{id}/members/{userId} instead.',
  },
  ALREADY_UPLOADED: {
    status: 409,
    meaning: 'The file of this media item has already been uploaded.',
    action: 'Create a new media item to upload another file.',
  },
  ALREADY_HAS_ACCESS: {
    status: 409,
    meaning: 'The caller already has access to this content: there is nothing to buy.',
    action: 'Request the streaming URL directly.',
  },
  IDEMPOTENCY_KEY_IN_PROGRESS: {
    status: 409,
    meaning: 'A request with this Idempotency-Key is still being processed.',
    action: 'Wait for the first request to finish (Retry-After), then retry with the same key to get its answer.',
  },

  // 411 / 413 / 415 / 416 — transport
  LENGTH_REQUIRED: {
    status: 411,
    meaning: 'An upload without a Content-Length header (chunked uploads are not accepted).',
    action: 'Send the file with the Content-Length header given in the upload instructions.',
  },
  PAYLOAD_TOO_LARGE: {
    status: 413,
    meaning: 'The body is larger than the operation accepts (JSON bodies: 1 MiB; uploads: the maximum file size).',
    action: 'Send a smaller body.',
  },
  UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    meaning: 'The body has a Content-Type the operation does not accept (JSON operations need `application/json`).',
    action: 'Send the body with a Content-Type the operation documents.',
  },
  CONTENT_TYPE_MISMATCH: {
    status: 415,
    meaning: 'An upload whose Content-Type is not the mimeType declared when the media item was created.',
    action: 'Send the Content-Type given in the upload instructions.',
  },
  RANGE_NOT_SATISFIABLE: {
    status: 416,
    meaning:
      'The Range header asks for bytes past the end of the file; `Content-Range: bytes */<size>` gives the size.',
    action: 'Ask for a range inside the file.',
  },

  // 422 — well-formed, but breaks a business rule
  INVALID_TOKEN: {
    status: 422,
    meaning: 'The verification or password reset token is unknown, already used, or expired.',
    action: 'Request a new email (register again for verification, or POST /api/auth/email/send-reset-password-email).',
  },
  PRICE_REQUIRED: {
    status: 422,
    meaning: 'purchased_only content needs a price (priceCents).',
    action: 'Send priceCents, or choose another visibility.',
  },
  ORGANIZATION_REQUIRED: {
    status: 422,
    meaning: 'members_only content must belong to an organization.',
    action: 'Create the content with organizationId, or choose another visibility.',
  },
  MEDIA_TYPE_MISMATCH: {
    status: 422,
    meaning: 'The media item is not of the content type (video content needs video media, audio content audio media).',
    action: 'Attach media of the matching type, or change contentType.',
  },
  MEDIA_REQUIRED: {
    status: 422,
    meaning: 'Published content needs a media item (publishing without one, or removing it from published content).',
    action: 'Attach a ready media item first (or unpublish before detaching).',
  },
  MEDIA_NOT_READY: {
    status: 422,
    meaning:
      'The media item is not ready (still uploading or transcoding, or failed); `details.mediaStatus` says which.',
    action: 'Wait until the media is ready, then try again.',
  },
  CONTENT_RULE_VIOLATION: {
    status: 422,
    meaning: 'The change would break a pricing or visibility rule of the content.',
    action: 'Check visibility, priceCents and organizationId together.',
  },
  INVALID_TRANSITION: {
    status: 422,
    meaning: 'A media status change that the lifecycle does not allow (uploading → transcoding → ready | failed).',
    action: 'Upload the file first; report ready or failed only while the media is transcoding.',
  },
  TRANSCODING_RESULTS_REQUIRED: {
    status: 422,
    meaning: 'Marking media ready needs its transcoding results (video: width and height).',
    action: 'Send the fields named in `details.missing` with status ready.',
  },
  INVALID_TRANSCODING_RESULTS: {
    status: 422,
    meaning: 'Transcoding results that do not fit the media type (audio has no width or height).',
    action: 'Leave out the fields named in `details.fields`.',
  },
  SIZE_MISMATCH: {
    status: 422,
    meaning: 'The uploaded body is not the size declared when the media item was created.',
    action: 'Upload the exact file declared (fileSizeBytes), or create a new media item.',
  },
  INVALID_PROGRESS: {
    status: 422,
    meaning: 'A playback position after the end (positionSeconds greater than durationSeconds).',
    action: 'Send a position between 0 and durationSeconds.',
  },
  LAST_OWNER: {
    status: 422,
    meaning: 'The last owner of an organization can be neither demoted, removed nor leave.',
    action: 'Make another member an owner first.',
  },
  CONTENT_NOT_PURCHASABLE: {
    status: 422,
    meaning:
      'The content cannot be bought: `details.reason` is free, members_only, not_published, deleted or own_content.',
    action: 'Nothing to buy: free content streams directly; members-only content needs a membership.',
  },
  REDIRECT_URL_NOT_ALLOWED: {
    status: 422,
    meaning: 'A checkout redirect URL outside the configured origins (`details` name the fields).',
    action: "Use URLs on the web app's origin.",
  },
  IDEMPOTENCY_KEY_REUSED: {
    status: 422,
    meaning: 'This Idempotency-Key was already used with a different request (another operation or body).',
    action: 'Use a new key for a new request; reuse a key only to retry the very same request.',
  },

  // 429
  RATE_LIMITED: {
    status: 429,
    meaning: 'Too many requests from this caller for this operation in the current window.',
    action: 'Wait the number of seconds in `Retry-After` (`details.retryAfterSeconds`), then retry.',
  },

  // 500
  INTERNAL_ERROR: {
    status: 500,
    meaning: 'An unexpected error. Nothing internal is disclosed; the `x-request-id` ties it to the logs.',
    action: 'Retry later; if it persists, report the request id.',
  },

  // 503 — a dependency or the configuration is not available; nothing was changed
  DATABASE_UNAVAILABLE: {
    status: 503,
    meaning: 'The database could not be reached; nothing was changed.',
    action: 'Retry after `Retry-After` seconds.',
  },
  STORAGE_UNAVAILABLE: {
    status: 503,
    meaning: 'Media storage (R2) could not be reached; nothing was changed.',
    action: 'Retry after `Retry-After` seconds.',
  },
  RATE_LIMITER_UNAVAILABLE: {
    status: 503,
    meaning: 'The rate limiter could not be reached; the request was refused rather than let through unchecked.',
    action: 'Retry after `Retry-After` seconds.',
  },
  AUTH_UNAVAILABLE: {
    status: 503,
    meaning: 'The session could not be checked: the auth worker is unreachable.',
    action: 'Retry after `Retry-After` seconds.',
  },
  ASSETS_UNAVAILABLE: {
    status: 503,
    meaning: 'The static assets of the docs page are not deployed with this worker.',
    action: 'Deploy the worker with its static assets.',
  },
  SERVICE_MISCONFIGURED: {
    status: 503,
    meaning: "The worker's configuration (vars, secrets, bindings) is invalid for its environment.",
    action: 'Operators: the log names the setting; fix it and redeploy.',
  },
  AUTH_NOT_CONFIGURED: {
    status: 503,
    meaning: 'Authentication is not configured in this environment (missing secret or public URL).',
    action: 'Operators: set BETTER_AUTH_SECRET (32+ characters) and PUBLIC_URL.',
  },
  SIGNING_NOT_CONFIGURED: {
    status: 503,
    meaning: 'Signed URLs are not configured in this environment (missing or short STREAMING_URL_SECRET).',
    action: 'Operators: set STREAMING_URL_SECRET (32+ characters).',
  },
  PAYMENTS_NOT_CONFIGURED: {
    status: 503,
    meaning: 'Payments are not configured in this environment (no Stripe secret key).',
    action: 'Operators: set STRIPE_SECRET_KEY.',
  },
  PAYMENT_PROVIDER_UNAVAILABLE: {
    status: 503,
    meaning: 'Stripe could not be reached or refused the request; no checkout was created.',
    action: 'Retry after `Retry-After` seconds.',
  },
  WEBHOOK_NOT_CONFIGURED: {
    status: 503,
    meaning: 'This webhook endpoint has no signing secret configured; the event was not recorded.',
    action: "Operators: set the endpoint's STRIPE_WEBHOOK_SECRET_<ENDPOINT>; Stripe retries the delivery.",
  },
  WEBHOOK_RETRY: {
    status: 503,
    meaning: 'The event could not be recorded this time; nothing was changed.',
    action: 'Stripe retries the delivery automatically.',
  },
  SIGNOUT_FAILED: {
    status: 503,
    meaning: 'The session could not be ended; it is still valid.',
    action: 'Retry the sign-out.',
  },
} as const satisfies Record<string, ErrorCatalogueEntry>;

/** Every error code a Codex worker can answer with. */
export type ErrorCode = keyof typeof ERROR_CATALOGUE;

export const ERROR_CODES = Object.keys(ERROR_CATALOGUE) as ErrorCode[];

/** The HTTP status of an error code. */
export function statusOf(code: ErrorCode): ErrorCatalogueEntry['status'] {
  return ERROR_CATALOGUE[code].status;
}

/** Machine-readable context of an error (e.g. the fields that failed validation). */
export type ErrorDetails = Record<string, unknown> | Array<Record<string, unknown>>;

/**
 * An error a service or the toolkit throws to answer the caller: a catalogue code, a human-readable message
 * (never PII, SQL or internals) and optional details. No HTTP here: the worker toolkit maps the code to its status.
 */
export class DomainError extends Error {
  readonly code: ErrorCode;
  readonly details: ErrorDetails | undefined;
  /** For codes that invite a retry (429, 503): how long to wait, in seconds. */
  readonly retryAfterSeconds: number | undefined;

  constructor(
    code: ErrorCode,
    message: string = ERROR_CATALOGUE[code].meaning,
    details?: ErrorDetails,
    options: { retryAfterSeconds?: number; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'DomainError';
    this.code = code;
    this.details = details;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

export const isDomainError = (e: unknown): e is DomainError => e instanceof DomainError;
