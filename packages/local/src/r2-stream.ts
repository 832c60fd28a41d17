/**
 * Streaming R2 writes in Node, as workerd does them.
 *
 * In workerd, `bucket.put(key, stream)` needs a stream of known length: a request body with a Content-Length or the
 * readable half of a `FixedLengthStream`. Miniflare's R2 binding in Node is a proxy into workerd that forwards a
 * stream argument without a length, so such puts fail there. This module provides the two missing pieces:
 *
 * - `FixedLengthStream` (a workerd global) for Node, with workerd's behaviour: a pass-through that errors when it
 *   sees more or fewer bytes than announced;
 * - `streamingBucket()`, which sends a put whose value is such a stream to a tiny worker inside Miniflare as a
 *   request body with a Content-Length; that worker calls the real R2 binding with `request.body`. The bytes flow
 *   through with backpressure and are never buffered whole. Every other call goes to Miniflare's binding unchanged.
 */
import type { Miniflare } from 'miniflare';

const lengths = new WeakMap<object, number>();

class NodeFixedLengthStream extends TransformStream<Uint8Array, Uint8Array> {
  constructor(expectedLength: number | bigint) {
    const expected = Number(expectedLength);
    let seen = 0;
    super({
      transform(chunk, controller) {
        seen += chunk.byteLength;
        if (seen > expected)
          controller.error(new TypeError('Attempt to write too many bytes through a FixedLengthStream.'));
        else controller.enqueue(chunk);
      },
      flush(controller) {
        if (seen !== expected)
          controller.error(new TypeError('FixedLengthStream did not see all expected bytes before close().'));
      },
    });
    lengths.set(this.readable, expected);
  }
}

/** Installs `globalThis.FixedLengthStream` in Node (no-op where the runtime has one). */
export function installFixedLengthStream() {
  const g = globalThis as { FixedLengthStream?: unknown };
  if (typeof g.FixedLengthStream !== 'function') g.FixedLengthStream = NodeFixedLengthStream;
}

/** The internal route of the platform's Miniflare worker that performs streaming puts. */
export const R2_PUT_PATH = '/__codex/r2/put';

/** Source of the Miniflare worker: `PUT /__codex/r2/put?binding=&key=` stores `request.body` (known length). */
export const R2_PUT_WORKER = `export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (request.method !== 'PUT' || url.pathname !== '${R2_PUT_PATH}') return new Response(null, { status: 404 });
    const bucket = env[url.searchParams.get('binding')];
    if (!bucket) return new Response('unknown binding', { status: 400 });
    const options = JSON.parse(request.headers.get('x-r2-options') || '{}');
    try {
      const object = await bucket.put(url.searchParams.get('key'), request.body, options);
      return Response.json({ key: object.key, size: object.size });
    } catch (e) {
      return new Response(String(e && e.message || e), { status: 500 });
    }
  },
};`;

/** Wraps Miniflare's R2 binding so that puts of FixedLengthStream readables stream through workerd. */
export function streamingBucket(mf: Miniflare, binding: string, bucket: R2Bucket): R2Bucket {
  const put = async (key: string, value: unknown, options?: R2PutOptions) => {
    const length = value && typeof value === 'object' ? lengths.get(value) : undefined;
    if (length === undefined) return bucket.put(key, value as never, options);
    const url = new URL(`http://r2.local${R2_PUT_PATH}`);
    url.searchParams.set('binding', binding);
    url.searchParams.set('key', key);
    const res = await mf.dispatchFetch(url, {
      method: 'PUT',
      headers: { 'content-length': String(length), 'x-r2-options': JSON.stringify(options ?? {}) },
      body: value as never,
      duplex: 'half',
      // With redirect 'follow' (the default) undici clones the request, teeing the body: the unread branch would
      // keep every chunk in memory until the upload ends. 'error' sends the body once, never replayed.
      redirect: 'error',
    } as never);
    if (!res.ok) throw new Error(`R2 put failed: ${await res.text()}`);
    await res.arrayBuffer();
    return bucket.head(key);
  };
  return new Proxy(bucket, {
    get(target, prop) {
      if (prop === 'put') return put;
      const v = Reflect.get(target, prop);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}
