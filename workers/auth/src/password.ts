import bcrypt from 'bcryptjs';

/**
 * bcrypt cost factor for password hashes (2^10 rounds). Exported so the hash time can be
 * measured inside workerd; raising it slows every login and registration.
 */
export const BCRYPT_COST = 10;

/** bcrypt only reads the first 72 bytes of its input. */
const BCRYPT_MAX_BYTES = 72;

async function sha256Base64(value: string) {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(value));
  return btoa(String.fromCharCode(...new Uint8Array(digest)));
}

/**
 * What is given to bcrypt. Passwords longer than bcrypt's 72-byte window (up to 128 characters
 * are allowed) are pre-hashed so that every character counts; shorter ones are hashed as is,
 * which keeps the stored hashes plain bcrypt.
 */
async function bcryptInput(password: string) {
  if (new TextEncoder().encode(password).length <= BCRYPT_MAX_BYTES) return password;
  return `sha256:${await sha256Base64(password)}`;
}

export async function hashPassword(password: string): Promise<string> {
  return bcrypt.hash(await bcryptInput(password), BCRYPT_COST);
}

export async function verifyPassword({ hash, password }: { hash: string; password: string }): Promise<boolean> {
  // A hash that is not bcrypt (e.g. better-auth's default scrypt) never matches.
  if (!/^\$2[aby]\$\d{2}\$/.test(hash)) return false;
  return bcrypt.compare(await bcryptInput(password), hash);
}
