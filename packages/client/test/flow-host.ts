/**
 * The four workers served over real HTTP on free ports (127.0.0.1, port 0), on the local platform (Miniflare KV/R2,
 * embedded PGlite or DATABASE_URL), with the local Stripe stand-in for the ecom worker — `npm run dev` in miniature,
 * for tests that drive the platform from outside the process (a packed client in Node, Chromium, workerd).
 */
import { WEBHOOK_ENDPOINTS } from '@codex/contract';
import { type LocalPlatform, startLocalPlatform, WORKERS, type WorkerName } from '@codex/local';
import { app as authApp } from '@codex/worker-auth';
import { app as contentApp } from '@codex/worker-content-api';
import { app as ecomApp } from '@codex/worker-ecom-api';
import { app as identityApp } from '@codex/worker-identity-api';
import { type FetchApp, type ServedApp, serveApp, WaitUntilTracker } from '../../../scripts/lib/worker-host';
import { LOCAL_STRIPE_SECRET_KEY, WEBHOOK_SECRET_VARS, webhookSecret } from '../../../scripts/stripe/config';
import { startLocalStripe } from '../../../scripts/stripe/local-stripe';

const APPS: Record<WorkerName, FetchApp> = {
  auth: authApp,
  'content-api': contentApp,
  'identity-api': identityApp,
  'ecom-api': ecomApp,
};

export const REDIRECT_ORIGIN = 'http://localhost:5173';

export interface FlowHost {
  platform: LocalPlatform;
  /** The client's baseUrls. */
  baseUrls: { auth: string; content: string; identity: string; ecom: string };
  /** The booking endpoint's signing secret. */
  bookingSecret: string;
  /** Origins allowed by CORS (a page's origin), settable after start. */
  setCorsOrigins(origins: string): void;
  close(): Promise<void>;
}

export async function startFlowHost(vars: Record<string, string> = {}): Promise<FlowHost> {
  const secrets = Object.fromEntries(WEBHOOK_ENDPOINTS.map((e) => [WEBHOOK_SECRET_VARS[e], webhookSecret(e, {})]));
  const stripe = await startLocalStripe({
    port: 0,
    host: '127.0.0.1',
    webhook: { baseUrl: 'http://127.0.0.1:9', secret: webhookSecret('booking', {}) },
    log: () => undefined,
  });
  const platform = await startLocalPlatform({
    apps: APPS,
    databaseUrl: process.env.DATABASE_URL ?? '',
    vars: { LOG_LEVEL: 'silent', EMAIL_TRANSPORT: 'memory', ENVIRONMENT: 'test', ...vars },
    workerVars: {
      'ecom-api': {
        STRIPE_SECRET_KEY: LOCAL_STRIPE_SECRET_KEY,
        ...stripe.vars,
        ...secrets,
        CHECKOUT_REDIRECT_ORIGINS: REDIRECT_ORIGIN,
      },
    },
  });
  const tracker = new WaitUntilTracker(() => undefined);
  const urls: Partial<Record<WorkerName, string>> = {};
  let cors = REDIRECT_ORIGIN;
  const served: ServedApp[] = [];
  for (const worker of WORKERS) {
    const s = await serveApp(APPS[worker], {
      port: 0,
      hostname: '127.0.0.1',
      tracker,
      env: () => platform.envFor(worker, { PUBLIC_URL: urls[worker], AUTH_URL: urls.auth, CORS_ORIGINS: cors }),
    });
    urls[worker] = `http://127.0.0.1:${s.port}`;
    served.push(s);
  }
  const url = (w: WorkerName) => urls[w] ?? '';
  return {
    platform,
    baseUrls: { auth: url('auth'), content: url('content-api'), identity: url('identity-api'), ecom: url('ecom-api') },
    bookingSecret: webhookSecret('booking', {}),
    setCorsOrigins: (origins) => {
      cors = origins;
    },
    async close() {
      await Promise.allSettled(served.map((s) => s.close()));
      await tracker.drain();
      await stripe.close();
      await platform.close();
    },
  };
}
