/**
 * Ids are canonical: a UUID in a path, query or body means the same entity in any letter case (the contract's
 * uuid() parses and lower-cases it at the edge).
 */
import { content } from '@codex/database';
import type { LocalPlatform } from '@codex/local';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, json, registerUser, startPlatform, type TestUser } from './helpers';

let platform: LocalPlatform;
let h: ReturnType<typeof api>;
let creator: TestUser;
let other: TestUser;

beforeAll(async () => {
  platform = await startPlatform();
  h = api(platform);
  creator = await registerUser(platform);
  other = await registerUser(platform);
});

afterAll(async () => {
  await platform?.close();
});

const upper = (id: string) => id.toUpperCase();

describe('upper-case UUIDs', () => {
  it('a creator listing their own content with their id in upper case sees their drafts', async () => {
    const draft = await h.createContent(creator);
    const published = await h.publishedContent(creator);
    expect(upper(creator.id)).not.toBe(creator.id);
    for (const id of [creator.id, upper(creator.id)]) {
      const res = await h.call(`/api/content/${id}/list`, 'GET', undefined, creator);
      expect(res.status).toBe(200);
      const ids = ((await json(res)).items as Array<{ id: string }>).map((i) => i.id);
      expect(ids.sort()).toEqual([draft.id, published.id].sort());
    }
    // Anyone else sees the published item only, in either case.
    const res = await h.call(`/api/content/${upper(creator.id)}/list`, 'GET', undefined, other);
    expect(((await json(res)).items as Array<{ id: string }>).map((i) => i.id)).toEqual([published.id]);
  });

  it('GET, PATCH and publish by an upper-case content id act on the same row', async () => {
    const media = await h.readyMedia(creator);
    const item = await h.createContent(creator, { mediaItemId: media.id });
    const got = await h.call(`/api/content/${upper(item.id)}`, 'GET', undefined, creator);
    expect(got.status).toBe(200);
    expect(await json(got)).toMatchObject({ id: item.id, status: 'draft', mediaItemId: media.id });

    const patched = await h.call(`/api/content/${upper(item.id)}`, 'PATCH', { title: 'Renamed' }, creator);
    expect(patched.status).toBe(200);
    expect(await json(patched)).toMatchObject({ id: item.id, title: 'Renamed' });
    const published = await h.call(`/api/content/${upper(item.id)}/publish`, 'POST', undefined, creator);
    expect(published.status).toBe(200);
    const rows = await platform.db.select().from(content).where(eq(content.id, item.id));
    expect(rows).toEqual([expect.objectContaining({ title: 'Renamed', status: 'published' })]);

    // An upper-case media id in a body is the same media too.
    const second = await h.createContent(creator, { mediaItemId: upper(media.id) });
    expect((await platform.db.select().from(content).where(eq(content.id, second.id)))[0]?.mediaItemId).toBe(media.id);

    // And streaming URLs, for someone who does not manage it.
    const url = await h.streamingUrl(upper(item.id), other);
    expect(url.status, await url.clone().text()).toBe(200);
    expect((await json(url)).streamingUrl).toContain(`/api/access/stream/${item.id}`);

    // The creator's management is recognised whatever the case: a draft they own stays visible to them only.
    const draft = await h.createContent(creator);
    expect((await h.call(`/api/content/${upper(draft.id)}`, 'GET', undefined, creator)).status).toBe(200);
    expect((await h.call(`/api/content/${upper(draft.id)}`, 'GET', undefined, other)).status).toBe(404);
  });

  it('media by an upper-case id', async () => {
    const { media } = await h.createMedia(creator);
    const res = await h.call(`/api/media/${upper(media.id)}`, 'GET', undefined, creator);
    expect(res.status).toBe(200);
    expect(await json(res)).toMatchObject({ id: media.id, status: 'uploading' });
  });
});
