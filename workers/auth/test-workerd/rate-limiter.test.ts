/**
 * The rate-limit counter itself (the RateLimiter Durable Object the auth worker hosts for all four workers), in the
 * real Workers runtime: exact under concurrency, windows that end, storage that goes away with the window.
 */
import { env, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { callRateLimiter, RATE_LIMIT_PRESETS, type RateLimitPreset, rateLimitKey } from '@codex/worker-kit';
import { describe, expect, it } from 'vitest';

const ns = env.RATE_LIMITER;
const subject = () => `ip:test-${crypto.randomUUID()}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('RateLimiter Durable Object in workerd', () => {
  it('200 concurrent hits on one key against 100 per minute: exactly 100 allowed, each count given once', async () => {
    const key = subject();
    const outcomes = await Promise.all(
      Array.from({ length: 200 }, () => callRateLimiter(ns, RATE_LIMIT_PRESETS.api, key)),
    );
    const allowed = outcomes.filter((o) => o.allowed);
    expect(allowed).toHaveLength(100);
    // Every allowed hit saw a different count: 99 left, 98 left, … 0 left.
    expect(allowed.map((o) => o.remaining).sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    for (const o of outcomes.filter((x) => !x.allowed)) {
      expect(o).toMatchObject({ limit: 100, remaining: 0 });
      expect(o.resetSeconds).toBeGreaterThan(0);
      expect(o.resetSeconds).toBeLessThanOrEqual(60);
    }
    // A refused hit is not counted: the window is still exactly full.
    const stub = ns.get(ns.idFromName(rateLimitKey(RATE_LIMIT_PRESETS.api, key)));
    const stored = await runInDurableObject(stub, (_o, state) => state.storage.get('window'));
    expect(stored).toMatchObject({ count: 100, seconds: 60 });
  });

  it('a window ends: after it, the key starts a new one; peek counts nothing', async () => {
    const preset: RateLimitPreset = { name: 'test-short', limit: 3, windowSeconds: 1, keyBy: 'ip' };
    const key = subject();
    const first = [];
    for (let i = 0; i < 4; i++) first.push(await callRateLimiter(ns, preset, key));
    expect(first.map((o) => o.allowed)).toEqual([true, true, true, false]);
    expect(first.map((o) => o.remaining)).toEqual([2, 1, 0, 0]);
    expect(await callRateLimiter(ns, preset, key, 'peek')).toMatchObject({ remaining: 0 });
    await sleep(1100);
    expect(await callRateLimiter(ns, preset, key, 'peek')).toMatchObject({ allowed: true, remaining: 3 });
    expect(await callRateLimiter(ns, preset, key)).toMatchObject({ allowed: true, remaining: 2 });
  });

  it('block uses the window up whatever the limit; the alarm at its end deletes the stored count', async () => {
    const preset: RateLimitPreset = { name: 'test-block', limit: 1000, windowSeconds: 1, keyBy: 'ip' };
    const key = subject();
    expect(await callRateLimiter(ns, preset, key, 'block')).toMatchObject({ allowed: false, remaining: 0 });
    expect(await callRateLimiter(ns, preset, key)).toMatchObject({ allowed: false, remaining: 0 });
    const stub = ns.get(ns.idFromName(rateLimitKey(preset, key)));
    expect(await runInDurableObject(stub, (_o, state) => state.storage.getAlarm())).toBeGreaterThan(0);
    await sleep(1100);
    // The alarm may already have run on its own; either way nothing is left afterwards.
    await runDurableObjectAlarm(stub);
    expect(await runInDurableObject(stub, (_o, state) => state.storage.list())).toEqual(new Map());
    expect(await callRateLimiter(ns, preset, key)).toMatchObject({ allowed: true, remaining: 999 });
  });

  it('refuses a malformed call instead of counting it', async () => {
    const stub = ns.getByName(`test:${crypto.randomUUID()}`);
    const bad = await stub.fetch('https://rate-limiter/hit?limit=0&window=60', { method: 'POST' });
    expect(bad.status).toBe(400);
    const unknownOp = await stub.fetch('https://rate-limiter/reset?limit=5&window=60', { method: 'POST' });
    expect(unknownOp.status).toBe(400);
  });
});
