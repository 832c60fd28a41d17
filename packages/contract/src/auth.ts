import { z } from 'zod';
import { IdSchema } from './common';
import { email, text } from './primitives';

/** Password length policy (also given to better-auth, which enforces it again). */
export const PASSWORD_MIN_LENGTH = 8;
export const PASSWORD_MAX_LENGTH = 128;
export const USER_NAME_MAX_LENGTH = 100;
/** Upper bound for opaque tokens carried by links (verification JWTs, reset tokens). */
export const AUTH_TOKEN_MAX_LENGTH = 2048;

/** An email address, stored in lower case. */
export const EmailSchema = email();

/** Counted in code points; any characters but U+0000 and unpaired surrogates; not only spaces. */
export const NewPasswordSchema = text(PASSWORD_MAX_LENGTH, { min: PASSWORD_MIN_LENGTH, keepWhitespace: true }).meta({
  example: 'correct horse battery',
  description: `${PASSWORD_MIN_LENGTH}–${PASSWORD_MAX_LENGTH} characters`,
});

/** The opaque tokens our emails carry (a signed JWT for verification, a random id for a reset). */
export const AUTH_TOKEN_PATTERN = /^[A-Za-z0-9._~-]+$/;
const TokenSchema = z.string().min(1).max(AUTH_TOKEN_MAX_LENGTH).regex(AUTH_TOKEN_PATTERN, 'a token from our email');

// ---------------------------------------------------------------------------------------------------------------------
// Requests (strict: unknown fields, such as role, emailVerified or id, are rejected)
// ---------------------------------------------------------------------------------------------------------------------

export const RegisterRequestSchema = z
  .strictObject({
    email: EmailSchema,
    password: NewPasswordSchema,
    name: text(USER_NAME_MAX_LENGTH).meta({ example: 'Ada Lovelace' }),
  })
  .meta({
    id: 'RegisterRequest',
    example: { email: 'ada@example.com', password: 'correct horse battery', name: 'Ada Lovelace' },
  });
export type RegisterRequest = z.infer<typeof RegisterRequestSchema>;

export const LoginRequestSchema = z
  .strictObject({
    email: EmailSchema,
    // Any length up to the maximum: a login never reveals the password policy.
    password: text(PASSWORD_MAX_LENGTH, { keepWhitespace: true }).meta({ example: 'correct horse battery' }),
  })
  .meta({ id: 'LoginRequest', example: { email: 'ada@example.com', password: 'correct horse battery' } });
export type LoginRequest = z.infer<typeof LoginRequestSchema>;

export const VerifyEmailRequestSchema = z
  .strictObject({ token: TokenSchema.meta({ description: 'The token from the verification link' }) })
  .meta({
    id: 'VerifyEmailRequest',
    example: { token: 'eyJhbGciOiJIUzI1NiJ9.eyJlbWFpbCI6ImFkYUBleGFtcGxlLmNvbSJ9.c2ln' },
  });
export type VerifyEmailRequest = z.infer<typeof VerifyEmailRequestSchema>;

/**
 * Query of the link in the verification email. Optional and loosely typed on purpose: a mangled link still gets
 * the HTML "link invalid" page (never a JSON error) — but bounded.
 */
export const VerifyEmailLinkQuerySchema = z.object({
  token: z
    .string()
    .max(AUTH_TOKEN_MAX_LENGTH)
    .optional()
    .meta({ param: { name: 'token', in: 'query' }, description: 'The token from the verification email' }),
});

export const SendResetPasswordEmailRequestSchema = z
  .strictObject({ email: EmailSchema })
  .meta({ id: 'SendResetPasswordEmailRequest', example: { email: 'ada@example.com' } });
export type SendResetPasswordEmailRequest = z.infer<typeof SendResetPasswordEmailRequestSchema>;

export const ResetPasswordRequestSchema = z
  .strictObject({
    token: TokenSchema.meta({ description: 'The token from the password reset email' }),
    newPassword: NewPasswordSchema,
  })
  .meta({
    id: 'ResetPasswordRequest',
    example: { token: 'Zq3vY8mK2pL9wR4tN6xB1cD7', newPassword: 'a new long passphrase' },
  });
export type ResetPasswordRequest = z.infer<typeof ResetPasswordRequestSchema>;

// ---------------------------------------------------------------------------------------------------------------------
// Responses
// ---------------------------------------------------------------------------------------------------------------------

export const AUTH_USER_ROLES = ['viewer', 'creator', 'admin'] as const;

export const AuthUserSchema = z
  .object({
    id: IdSchema,
    email: z.string().meta({ example: 'ada@example.com' }),
    name: z.string().meta({ example: 'Ada Lovelace' }),
    role: z.enum(AUTH_USER_ROLES),
    emailVerified: z.boolean(),
    image: z.string().nullable(),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .meta({ id: 'AuthUser' });
export type AuthUser = z.infer<typeof AuthUserSchema>;

/** A session as clients see it: never the token (the token only travels in the HttpOnly cookie). */
export const AuthSessionSchema = z
  .object({
    id: IdSchema,
    userId: IdSchema,
    expiresAt: z.iso.datetime(),
    createdAt: z.iso.datetime(),
  })
  .meta({ id: 'AuthSession' });
export type AuthSession = z.infer<typeof AuthSessionSchema>;

export const AuthSessionResponseSchema = z
  .object({ user: AuthUserSchema, session: AuthSessionSchema })
  .meta({ id: 'AuthSessionResponse' });
export type AuthSessionResponse = z.infer<typeof AuthSessionResponseSchema>;

export const VerifyEmailResponseSchema = z
  .object({ verified: z.literal(true), user: AuthUserSchema })
  .meta({ id: 'VerifyEmailResponse' });
export type VerifyEmailResponse = z.infer<typeof VerifyEmailResponseSchema>;

export const AuthSuccessResponseSchema = z.object({ success: z.literal(true) }).meta({ id: 'AuthSuccessResponse' });
export type AuthSuccessResponse = z.infer<typeof AuthSuccessResponseSchema>;
