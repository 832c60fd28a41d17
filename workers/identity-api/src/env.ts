/**
 * The identity-api worker's bindings: the platform's own (database, KV, the auth service binding) and nothing else.
 */
import { baseEnv } from '@codex/worker-kit';

export const IdentityEnv = baseEnv;
