/**
 * A throwaway worker for the password-hash benchmark: hashes inside workerd with the auth worker's own
 * bcrypt settings and with better-auth's default (scrypt), so the time is the Workers runtime's, not Node's.
 *
 *   GET /hash?algo=bcrypt|scrypt|noop&n=<count>  → { algo, n, cost?, sample }
 *
 * Timers do not advance during CPU work inside workerd, so the caller measures the round trip.
 */

import { BCRYPT_COST, hashPassword as bcryptHash } from '@codex/worker-auth/password';
import { hashPassword as scryptHash } from 'better-auth/crypto';

const PASSWORD = 'correct horse battery staple 42';

export default {
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const algo = url.searchParams.get('algo') ?? 'noop';
    const n = Math.min(Math.max(Number(url.searchParams.get('n') ?? '1') || 1, 1), 50);
    let sample = '';
    for (let i = 0; i < n; i++) {
      if (algo === 'bcrypt') sample = await bcryptHash(PASSWORD);
      else if (algo === 'scrypt') sample = await scryptHash(PASSWORD);
      else if (algo !== 'noop') return Response.json({ error: `unknown algo ${algo}` }, { status: 400 });
    }
    return Response.json({ algo, n, cost: algo === 'bcrypt' ? BCRYPT_COST : undefined, sample: sample.slice(0, 12) });
  },
};
