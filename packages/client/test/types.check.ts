/**
 * Compile-time checks of the client's types, run by `npm run typecheck` (never executed): what the contract accepts
 * compiles, what it refuses does not (each `@ts-expect-error` fails the typecheck if the line compiles).
 */
import {
  type AnyAPIError,
  type CodexClient,
  type components,
  type ErrorCode,
  NotFoundError,
  type RateLimitError,
} from '../src/index';

declare const client: CodexClient;
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const assert = <T extends true>(_: T) => undefined;

export async function requestTypesFitTheServer() {
  // A defaulted field (visibility, default "public") is optional in the request …
  const created = await client.POST('/api/content', { body: { title: 'T', slug: 't', contentType: 'video' } });
  // … and present in the response.
  if (created.data) assert<Equal<typeof created.data.visibility, 'public' | 'purchased_only' | 'members_only'>>(true);

  // @ts-expect-error a required field (contentType) is missing
  await client.POST('/api/content', { body: { title: 'T', slug: 't' } });
  // @ts-expect-error an unknown path
  await client.GET('/api/contents');
  // @ts-expect-error a path parameter is required
  await client.GET('/api/content/{id}');
  // @ts-expect-error a query parameter of the wrong type
  await client.GET('/api/organizations', { params: { query: { limit: 'ten' } } });
}

export async function binaryBodiesAreBytes(file: Blob, bytes: Uint8Array, id: string) {
  const query = { signature: 's', expires: 1 };
  await client.PUT('/api/media/{id}/upload', { params: { path: { id }, query }, body: file });
  await client.PUT('/api/media/{id}/upload', { params: { path: { id }, query }, body: bytes });
  // @ts-expect-error a string is not an upload body
  await client.PUT('/api/media/{id}/upload', { params: { path: { id }, query }, body: 'bytes' });

  const streamed = await client.stream('https://content-api.example/api/access/stream/x?signature=s');
  if (streamed.data) assert<Equal<typeof streamed.data, ReadableStream<Uint8Array>>>(true);
  const page = await client.worker('auth').GET('/docs');
  if (page.data) assert<Equal<typeof page.data, string>>(true);
  const removed = await client.DELETE('/api/content/{id}', { params: { path: { id } } });
  if (!removed.error) assert<Equal<typeof removed.data, undefined>>(true);
}

export async function errorsNarrow(id: string) {
  const { data, error } = await client.GET('/api/content/{id}', { params: { path: { id } } });
  if (error) {
    assert<Equal<typeof error, AnyAPIError>>(true);
    const code: ErrorCode | null = error.code;
    if (error.status === 404) {
      const narrowed: NotFoundError = error;
      void narrowed;
    }
    if (error.status === 429) {
      const limited: RateLimitError = error;
      const wait: number | undefined = limited.retryAfter;
      void wait;
    }
    if (error instanceof NotFoundError) assert<Equal<typeof error.status, 404>>(true);
    void code;
    return;
  }
  // After the error check, data is the content.
  const item: components['schemas']['Content'] = data;
  void item;
}

export async function pagination() {
  for await (const org of client.paginate('/api/organizations', { params: { query: { limit: 50 } } })) {
    const o: components['schemas']['Organization'] = org;
    void o;
  }
  for await (const page of client
    .paginate('/api/content/{creatorId}/list', { params: { path: { creatorId: 'x' } } })
    .pages()) {
    const total: number = page.pagination.total;
    void total;
  }
  // @ts-expect-error not a list operation
  client.paginate('/api/content/{id}', { params: { path: { id: 'x' } } });
}
