/**
 * Shared setup of the content-api suites: one local platform with the auth, identity-api and content-api apps
 * (Miniflare KV/R2, PGlite or PostgreSQL via DATABASE_URL), and small helpers that go through the real routes.
 */
import { json, jsonInit, type LocalPlatform, registerUser, startLocalPlatform, type TestUser } from '@codex/local';
import authApp from '@codex/worker-auth';
import identityApp from '@codex/worker-identity-api';
import { expect } from 'vitest';
import contentApp from '../src/index';

export { json, registerUser, type TestUser };

export async function startPlatform(): Promise<LocalPlatform> {
  return startLocalPlatform({
    apps: { auth: authApp, 'identity-api': identityApp, 'content-api': contentApp },
    vars: { LOG_LEVEL: 'silent', EMAIL_TRANSPORT: 'memory', ENVIRONMENT: 'test' },
  });
}

let ipCounter = 0;
/** A fresh client IP per call, so the IP-keyed limits of anonymous calls never trip unrelated tests. */
export const freshIp = () => {
  ipCounter += 1;
  return `10.77.${Math.floor(ipCounter / 250) % 250}.${ipCounter % 250}`;
};

export const uid = () => Math.random().toString(36).slice(2, 10);
export const UNKNOWN_ID = '6f1c1c1e-7a0a-4c3b-9a55-1b7f3a1e0b11';

/** Deterministic bytes: byte i is i mod 251, so any slice can be checked. */
export function bytesOf(size: number, from = 0) {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = (from + i) % 251;
  return out;
}

export interface UploadInstructions {
  url: string;
  method: 'PUT';
  expiresAt: string;
  headers: Record<string, string>;
}

export function api(platform: LocalPlatform) {
  const call = (path: string, method = 'GET', body?: unknown, user?: TestUser, headers: Record<string, string> = {}) =>
    platform.request(
      'content-api',
      path,
      jsonInit(method, body, user?.cookie, { 'cf-connecting-ip': freshIp(), ...headers }),
    );
  const identity = (path: string, method = 'GET', body?: unknown, user?: TestUser) =>
    platform.request('identity-api', path, jsonInit(method, body, user?.cookie));

  const self = {
    call,
    identity,

    async createMedia(user: TestUser, fields: Record<string, unknown> = {}) {
      const res = await call(
        '/api/media',
        'POST',
        { title: 'Clip', mediaType: 'video', mimeType: 'video/mp4', fileSizeBytes: 1000, ...fields },
        user,
      );
      expect(res.status, await res.clone().text()).toBe(201);
      return (await json(res)) as {
        media: { id: string; status: string; fileSizeBytes: number };
        upload: UploadInstructions;
      };
    },

    /** PUTs bytes to a signed upload URL with the headers it asks for, unless overridden (null removes one). */
    upload(upload: UploadInstructions, body: BodyInit | null, headers: Record<string, string | null> = {}) {
      const url = new URL(upload.url);
      const sent: Record<string, string> = { 'cf-connecting-ip': freshIp() };
      for (const [k, v] of Object.entries({ ...lower(upload.headers), ...lower(headers) })) if (v !== null) sent[k] = v;
      return platform.request('content-api', url.pathname + url.search, { method: 'PUT', headers: sent, body });
    },

    async markReady(
      user: TestUser,
      mediaId: string,
      results: Record<string, unknown> = { durationSeconds: 120, width: 1920, height: 1080 },
    ) {
      const res = await call(`/api/media/${mediaId}`, 'PATCH', { status: 'ready', ...results }, user);
      expect(res.status, await res.clone().text()).toBe(200);
      return json(res);
    },

    /** Media created, uploaded (size bytes) and marked ready: the first half of Pattern 2. */
    async readyMedia(
      user: TestUser,
      opts: { size?: number; mediaType?: 'video' | 'audio'; organizationId?: string } = {},
    ) {
      const size = opts.size ?? 1000;
      const audio = opts.mediaType === 'audio';
      const { media, upload } = await self.createMedia(user, {
        fileSizeBytes: size,
        ...(audio ? { mediaType: 'audio', mimeType: 'audio/mpeg' } : {}),
        ...(opts.organizationId ? { organizationId: opts.organizationId } : {}),
      });
      const put = await self.upload(upload, bytesOf(size));
      expect(put.status, await put.clone().text()).toBe(200);
      await self.markReady(user, media.id, audio ? { durationSeconds: 60 } : undefined);
      return media;
    },

    async createContent(user: TestUser, fields: Record<string, unknown> = {}) {
      const res = await call(
        '/api/content',
        'POST',
        { title: 'Episode', slug: `ep-${uid()}`, contentType: 'video', ...fields },
        user,
      );
      expect(res.status, await res.clone().text()).toBe(201);
      return (await json(res)) as { id: string; slug: string; status: string; creatorId: string };
    },

    /** Ready media + published content with the given fields. */
    async publishedContent(user: TestUser, fields: Record<string, unknown> = {}, size = 1000) {
      const organizationId = fields.organizationId as string | undefined;
      const media = await self.readyMedia(user, { size, ...(organizationId ? { organizationId } : {}) });
      const item = await self.createContent(user, { mediaItemId: media.id, ...fields });
      const res = await call(`/api/content/${item.id}/publish`, 'POST', undefined, user);
      expect(res.status, await res.clone().text()).toBe(200);
      return { ...item, mediaId: media.id };
    },

    async createOrg(owner: TestUser) {
      const res = await identity('/api/organizations', 'POST', { name: 'Studio', slug: `studio-${uid()}` }, owner);
      expect(res.status).toBe(201);
      return (await json(res)) as { id: string };
    },

    async addMember(org: string, owner: TestUser, user: TestUser, role: 'member' | 'admin' | 'owner' = 'member') {
      const res = await identity(`/api/organizations/${org}/members`, 'POST', { userId: user.id, role }, owner);
      expect(res.status).toBe(201);
    },

    /** Asks for a streaming URL; returns the response. */
    streamingUrl(contentId: string, user?: TestUser, query = '') {
      return call(`/api/access/streaming-url/${contentId}${query}`, 'GET', undefined, user);
    },

    /** Fetches a streaming URL (absolute, as returned) from the worker. */
    fetchStream(streamingUrl: string, headers: Record<string, string> = {}, method = 'GET') {
      const url = new URL(streamingUrl);
      return platform.request('content-api', url.pathname + url.search, {
        method,
        headers: { 'cf-connecting-ip': freshIp(), ...headers },
      });
    },
  };
  return self;
}

function lower(h: Record<string, string | null>) {
  return Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toLowerCase(), v]));
}
