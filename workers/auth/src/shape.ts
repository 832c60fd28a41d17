/**
 * What clients see of users and sessions. Built field by field from whatever better-auth or the
 * database hands us, so that nothing else (password hashes, session tokens, IP addresses) can leak.
 */
import { AUTH_USER_ROLES, type AuthSession, type AuthUser } from '@codex/contract';
import type { SessionData } from '@codex/worker-kit';

type DateLike = Date | string | number;

function iso(value: DateLike): string {
  return new Date(value).toISOString();
}

export interface UserLike {
  id: string;
  email: string;
  name: string;
  emailVerified: boolean;
  image?: string | null;
  role?: unknown;
  createdAt: DateLike;
  updatedAt: DateLike;
}

export interface SessionLike {
  id: string;
  userId: string;
  expiresAt: DateLike;
  createdAt: DateLike;
}

export function toAuthUser(user: UserLike): AuthUser {
  const role = (AUTH_USER_ROLES as readonly unknown[]).includes(user.role) ? (user.role as AuthUser['role']) : 'viewer';
  return {
    id: user.id,
    email: user.email,
    name: user.name,
    role,
    emailVerified: Boolean(user.emailVerified),
    image: user.image ?? null,
    createdAt: iso(user.createdAt),
    updatedAt: iso(user.updatedAt),
  };
}

export function toAuthSession(session: SessionLike): AuthSession {
  return {
    id: session.id,
    userId: session.userId,
    expiresAt: iso(session.expiresAt),
    createdAt: iso(session.createdAt),
  };
}

export function toSessionData(user: UserLike, session: SessionLike): SessionData {
  return { user: toAuthUser(user), session: toAuthSession(session) };
}
