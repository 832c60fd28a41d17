import { z } from '@hono/zod-openapi';

/** Password length policy (also given to better-auth, which enforces it again). */
export const PASSWORD_MIN_LENGTH = 8;
export const PASSWORD_MAX_LENGTH = 128;
export const USER_NAME_MAX_LENGTH = 100;
/** RFC 5321 limits a forward path to 254 characters. */
export const EMAIL_MAX_LENGTH = 254;
/** Upper bound for opaque tokens carried by links (verification JWTs, reset tokens). */
export const AUTH_TOKEN_MAX_LENGTH = 2048;

/** An email address, trimmed and normalized to lowercase before it is validated. */
export const EmailSchema = z
  .string()
  .trim()
  .toLowerCase()
  .max(EMAIL_MAX_LENGTH)
  .email()
  .openapi({ example: 'user@example.com', description: 'Normalized to lowercase' });

export const NewPasswordSchema = z
  .string()
  .min(PASSWORD_MIN_LENGTH)
  .max(PASSWORD_MAX_LENGTH)
  .openapi({
    example: 'correct horse battery',
    description: `${PASSWORD_MIN_LENGTH}–${PASSWORD_MAX_LENGTH} characters`,
  });

const TokenSchema = z.string().min(1).max(AUTH_TOKEN_MAX_LENGTH);

// ---------------------------------------------------------------------------------------------------------------------
// Requests (strict: unknown fields, such as role, emailVerified or id, are rejected)
// ---------------------------------------------------------------------------------------------------------------------

export const RegisterRequestSchema = z
  .object({
    email: EmailSchema,
    password: NewPasswordSchema,
    name: z.string().trim().min(1).max(USER_NAME_MAX_LENGTH).openapi({ example: 'Ada Lovelace' }),
  })
  .strict()
  .openapi('RegisterRequest');
export type RegisterRequest = z.infer<typeof RegisterRequestSchema>;

export const LoginRequestSchema = z
  .object({
    email: EmailSchema,
    // Any length up to the maximum: a login never reveals the password policy.
    password: z.string().min(1).max(PASSWORD_MAX_LENGTH).openapi({ example: 'correct horse battery' }),
  })
  .strict()
  .openapi('LoginRequest');
export type LoginRequest = z.infer<typeof LoginRequestSchema>;

export const VerifyEmailRequestSchema = z
  .object({ token: TokenSchema.openapi({ description: 'The token from the verification link' }) })
  .strict()
  .openapi('VerifyEmailRequest');
export type VerifyEmailRequest = z.infer<typeof VerifyEmailRequestSchema>;

/**
 * Query of the link in the verification email. The token is optional here so that a
 * mangled link still gets the HTML "link invalid" page rather than a JSON error.
 */
export const VerifyEmailLinkQuerySchema = z.object({
  token: z
    .string()
    .optional()
    .openapi({ param: { name: 'token', in: 'query' }, description: 'The token from the verification email' }),
});

export const SendResetPasswordEmailRequestSchema = z
  .object({ email: EmailSchema })
  .strict()
  .openapi('SendResetPasswordEmailRequest');
export type SendResetPasswordEmailRequest = z.infer<typeof SendResetPasswordEmailRequestSchema>;

export const ResetPasswordRequestSchema = z
  .object({
    token: TokenSchema.openapi({ description: 'The token from the password reset email' }),
    newPassword: NewPasswordSchema,
  })
  .strict()
  .openapi('ResetPasswordRequest');
export type ResetPasswordRequest = z.infer<typeof ResetPasswordRequestSchema>;

// ---------------------------------------------------------------------------------------------------------------------
// Responses
// ---------------------------------------------------------------------------------------------------------------------

export const AUTH_USER_ROLES = ['viewer', 'creator', 'admin'] as const;

export const AuthUserSchema = z
  .object({
    id: z.string().uuid(),
    email: z.string().openapi({ example: 'user@example.com' }),
    name: z.string().openapi({ example: 'Ada Lovelace' }),
    role: z.enum(AUTH_USER_ROLES),
    emailVerified: z.boolean(),
    image: z.string().nullable(),
    createdAt: z.string().datetime(),
    updatedAt: z.string().datetime(),
  })
  .openapi('AuthUser');
export type AuthUser = z.infer<typeof AuthUserSchema>;

/** A session as clients see it: never the token (the token only travels in the HttpOnly cookie). */
export const AuthSessionSchema = z
  .object({
    id: z.string().uuid(),
    userId: z.string().uuid(),
    expiresAt: z.string().datetime(),
    createdAt: z.string().datetime(),
  })
  .openapi('AuthSession');
export type AuthSession = z.infer<typeof AuthSessionSchema>;

export const AuthSessionResponseSchema = z
  .object({ user: AuthUserSchema, session: AuthSessionSchema })
  .openapi('AuthSessionResponse');
export type AuthSessionResponse = z.infer<typeof AuthSessionResponseSchema>;

export const VerifyEmailResponseSchema = z
  .object({ verified: z.literal(true), user: AuthUserSchema })
  .openapi('VerifyEmailResponse');
export type VerifyEmailResponse = z.infer<typeof VerifyEmailResponseSchema>;

export const AuthSuccessResponseSchema = z.object({ success: z.literal(true) }).openapi('AuthSuccessResponse');
export type AuthSuccessResponse = z.infer<typeof AuthSuccessResponseSchema>;
