/**
 * The deploy order (scripts/lib/wrangler.ts): a worker comes after every worker it binds to — service bindings and
 * Durable Objects hosted by another script — whatever order the folders are listed in; a cycle is refused.
 */
import { describe, expect, it } from 'vitest';
import { deployOrder, listWorkers, readWorkerConfig, type WorkerConfig } from '../../scripts/lib/wrangler';

function worker(name: string, bindings: { services?: string[]; durableHost?: string } = {}): WorkerConfig {
  return {
    dir: name,
    name,
    routes: [],
    vars: {},
    kv: [],
    r2: [],
    services: (bindings.services ?? []).map((service) => ({ binding: service.toUpperCase(), service })),
    durableObjects: bindings.durableHost
      ? [{ name: 'RATE_LIMITER', class_name: 'RateLimiter', script_name: bindings.durableHost }]
      : [],
    doMigrations: [],
    hyperdrive: [],
    secrets: [],
  };
}

const names = (ws: WorkerConfig[]) => ws.map((w) => w.name);

describe('deployOrder', () => {
  it('puts a Durable Object host and the auth worker before the workers that bind to them', () => {
    const order = deployOrder([
      worker('api', { services: ['auth'], durableHost: 'limits' }),
      worker('auth', { durableHost: 'limits' }),
      worker('limits'),
      worker('shop', { services: ['auth'] }),
    ]);
    expect(names(order)).toEqual(['limits', 'auth', 'api', 'shop']);
  });

  it('a worker hosting its own Durable Object class depends on nothing for it', () => {
    const self = worker('solo');
    self.durableObjects = [{ name: 'COUNTER', class_name: 'Counter' }];
    expect(names(deployOrder([worker('b', { services: ['solo'] }), self]))).toEqual(['solo', 'b']);
  });

  it('refuses a cycle, naming it', () => {
    expect(() => deployOrder([worker('a', { services: ['b'] }), worker('b', { services: ['a'] })])).toThrow(
      'the workers bind to each other in a cycle: a → b → a',
    );
  });

  it("orders this repository's workers, per environment: every binding's target first", async () => {
    for (const env of ['staging', 'production']) {
      const order = deployOrder(await Promise.all(listWorkers().map((dir) => readWorkerConfig(dir, env))));
      expect(order).toHaveLength(listWorkers().length);
      const auth = names(order).indexOf(`codex-auth${env === 'staging' ? '-staging' : ''}`);
      expect(auth).toBeGreaterThanOrEqual(0);
      let bound = 0;
      for (const [i, w] of order.entries()) {
        const targets = [...w.services.map((s) => s.service), ...w.durableObjects.flatMap((d) => d.script_name ?? [])];
        for (const t of targets.filter((t) => t !== w.name)) {
          expect(names(order).indexOf(t), `${w.name} → ${t}`).toBeLessThan(i);
          bound++;
        }
      }
      expect(bound).toBeGreaterThanOrEqual(3); // content-api, ecom-api, identity-api → auth
    }
  });
});
