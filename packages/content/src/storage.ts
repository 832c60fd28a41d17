/**
 * R2 helpers: streaming an upload into the bucket without buffering it, and HTTP byte ranges.
 */

export const mediaFolder = (creatorId: string, mediaId: string) => `media/${creatorId}/${mediaId}/`;
export const originalKey = (creatorId: string, mediaId: string) => `${mediaFolder(creatorId, mediaId)}original`;

export class BodyLengthMismatchError extends Error {
  constructor(
    readonly expected: number,
    readonly received: number,
  ) {
    super(`body has ${received >= expected ? 'more' : 'fewer'} bytes than declared (${expected})`);
    this.name = 'BodyLengthMismatchError';
  }
}

/**
 * Streams `body` into `key`. R2 only accepts a stream of known length: the body goes through a FixedLengthStream
 * (native in workerd; provided by @codex/local in Node, where it reaches Miniflare's R2 with a Content-Length), so
 * at most a few chunks are in memory at any time. A body shorter or longer than `size` fails the put (nothing is
 * stored) with BodyLengthMismatchError.
 */
export async function putStream(
  bucket: R2Bucket,
  key: string,
  body: ReadableStream<Uint8Array>,
  size: number,
  contentType: string,
): Promise<R2Object> {
  if (typeof FixedLengthStream !== 'function') {
    throw new Error('FixedLengthStream is not available in this runtime (in Node, import @codex/local first)');
  }
  let received = 0;
  const guard = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      received += chunk.byteLength;
      if (received > size) controller.error(new BodyLengthMismatchError(size, received));
      else controller.enqueue(chunk);
    },
    flush(controller) {
      if (received !== size) controller.error(new BodyLengthMismatchError(size, received));
    },
  });
  try {
    return await bucket.put(key, body.pipeThrough(guard).pipeThrough(new FixedLengthStream(size)), {
      httpMetadata: { contentType },
    });
  } catch (e) {
    if (received !== size) throw new BodyLengthMismatchError(size, received);
    throw e;
  }
}

export interface ByteRange {
  offset: number;
  length: number;
}

/**
 * Parses a Range header against an object of `size` bytes (RFC 9110 §14): one `bytes=` range, as `a-b`, `a-` or
 * `-n`. Returns null when the header is absent, malformed or asks for several ranges (the whole object is then
 * served, as the RFC allows), and 'unsatisfiable' when no byte of the range exists (416).
 */
export function parseRange(header: string | undefined | null, size: number): ByteRange | 'unsatisfiable' | null {
  if (!header) return null;
  const m = /^bytes=(\d*)-(\d*)$/i.exec(header.trim());
  if (!m) return null;
  const [, a = '', b = ''] = m;
  if (a === '' && b === '') return null;
  if (a === '') {
    const suffix = Number(b);
    if (!Number.isSafeInteger(suffix)) return null;
    if (suffix === 0) return 'unsatisfiable';
    const length = Math.min(suffix, size);
    return { offset: size - length, length };
  }
  const start = Number(a);
  const end = b === '' ? Number.MAX_SAFE_INTEGER : Number(b);
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || end < start) return null;
  if (start >= size) return 'unsatisfiable';
  return { offset: start, length: Math.min(end, size - 1) - start + 1 };
}
