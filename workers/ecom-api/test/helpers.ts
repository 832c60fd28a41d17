/**
 * The ecom worker's test platform. The Stripe side (the API stand-in, test secrets, events) is shared test
 * infrastructure in @codex/local/stripe, re-exported here for the worker's own tests.
 */
import type { WebhookEndpoint } from '@codex/contract';
import { createTestDatabase, dropTestDatabase } from '@codex/database/node';
import { type LocalPlatform, startLocalPlatform, type WorkerAppLike, type WorkerName } from '@codex/local';
import { ecomVars, type StripeTestServer, sign, startStripeTestServer, WEBHOOK_SECRETS } from '@codex/local/stripe';
import authApp from '@codex/worker-auth';
import ecomApp from '../src/index';

export * from '@codex/local/stripe';

/** Bindings for "the database is configured but unreachable" (connection refused at once). */
export const DATABASE_DOWN = {
  EMBEDDED_DB: undefined,
  DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none',
  NEON_WS_PROXY: '127.0.0.1:1/v1',
};

export interface EcomTestEnv {
  platform: LocalPlatform;
  stripe: StripeTestServer;
  close(): Promise<void>;
}

/**
 * The local platform with the auth and ecom workers (plus any extra apps): embedded PGlite by default; with
 * DATABASE_URL, a database of its own on that server (created, migrated, dropped afterwards).
 */
export async function startEcomTestEnv(
  extraApps: Partial<Record<WorkerName, WorkerAppLike>> = {},
): Promise<EcomTestEnv> {
  const stripe = await startStripeTestServer();
  const serverUrl = process.env.DATABASE_URL;
  const db = serverUrl ? await createTestDatabase({ serverUrl }) : undefined;
  const platform = await startLocalPlatform({
    apps: { auth: authApp, 'ecom-api': ecomApp, ...extraApps },
    databaseUrl: db?.url ?? '',
    vars: { LOG_LEVEL: 'silent', EMAIL_TRANSPORT: 'memory', ENVIRONMENT: 'test' },
    workerVars: { 'ecom-api': ecomVars(stripe) },
  });
  return {
    platform,
    stripe,
    async close() {
      await platform.close();
      await stripe.close();
      if (db && serverUrl) await dropTestDatabase(db.name, { serverUrl });
    },
  };
}

export interface Delivery {
  payload: string;
  signature?: string | undefined;
  ip?: string;
  contentType?: string;
}

let ipSeq = 0;
export function nextIp() {
  ipSeq += 1;
  return `10.77.${(ipSeq >> 8) & 255}.${ipSeq & 255}`;
}

export function webhookInit(d: Delivery): RequestInit {
  return {
    method: 'POST',
    headers: {
      'content-type': d.contentType ?? 'application/json; charset=utf-8',
      'cf-connecting-ip': d.ip ?? nextIp(),
      ...(d.signature !== undefined ? { 'stripe-signature': d.signature } : {}),
    },
    body: d.payload,
  };
}

/** Sends a webhook delivery to the ecom worker, signed with that endpoint's secret unless `signature` is given. */
export async function deliver(
  platform: LocalPlatform,
  endpoint: WebhookEndpoint,
  payload: string,
  options: {
    signature?: string;
    omitSignature?: boolean;
    ip?: string;
    contentType?: string;
    env?: Record<string, unknown>;
  } = {},
) {
  const signature = options.omitSignature
    ? undefined
    : (options.signature ?? (await sign(payload, WEBHOOK_SECRETS[endpoint])));
  const init = webhookInit({
    payload,
    signature,
    ...(options.ip ? { ip: options.ip } : {}),
    ...(options.contentType ? { contentType: options.contentType } : {}),
  });
  if (options.env) {
    const req = new Request(`http://localhost:42072/webhooks/stripe/${endpoint}`, init);
    return ecomApp.fetch(req, platform.envFor('ecom-api', options.env));
  }
  return platform.request('ecom-api', `/webhooks/stripe/${endpoint}`, init);
}
