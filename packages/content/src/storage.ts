/**
 * R2: streaming an upload into the bucket without buffering it, and reading stored files.
 */
import { DomainError } from '@codex/domain';

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
  // Set only when the body itself is the wrong length; a put that fails for any other reason (storage down, before
  // or while reading the body) is rethrown as it is.
  let mismatch: BodyLengthMismatchError | undefined;
  const guard = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      received += chunk.byteLength;
      if (received > size) {
        mismatch = new BodyLengthMismatchError(size, received);
        controller.error(mismatch);
      } else controller.enqueue(chunk);
    },
    flush(controller) {
      if (received !== size) {
        mismatch = new BodyLengthMismatchError(size, received);
        controller.error(mismatch);
      }
    },
  });
  try {
    return await bucket.put(key, body.pipeThrough(guard).pipeThrough(new FixedLengthStream(size)), {
      httpMetadata: { contentType },
    });
  } catch (e) {
    if (mismatch) throw mismatch;
    throw e;
  }
}

/** A byte range of a stored file. */
export interface ByteRange {
  offset: number;
  length: number;
}

/**
 * Reads a stored file (or just its metadata): the media item is ready, so a missing object is a storage fault,
 * answered with MEDIA_FILE_MISSING; a failing bucket is STORAGE_UNAVAILABLE.
 */
export async function readStored(
  bucket: R2Bucket,
  key: string,
  options: { range?: ByteRange | null; headOnly?: boolean },
): Promise<R2Object | R2ObjectBody> {
  let object: R2Object | R2ObjectBody | null;
  try {
    object = options.headOnly
      ? await bucket.head(key)
      : await bucket.get(key, options.range ? { range: options.range } : {});
  } catch (e) {
    throw new DomainError('STORAGE_UNAVAILABLE', 'Media storage is unavailable, retry later', undefined, { cause: e });
  }
  if (!object) throw new DomainError('MEDIA_FILE_MISSING', 'The file of this media is missing from storage');
  return object;
}
