/**
 * Types derived from the generated contract types (generated/codex-api.d.ts): which paths take which methods,
 * what a call accepts (params, body) and what it answers.
 */
import type { components, paths } from '../../../generated/codex-api';

export type { components, operations, paths } from '../../../generated/codex-api';

export type HttpMethod = 'get' | 'put' | 'post' | 'delete' | 'patch';

/** The paths that have an operation for this method. */
export type PathsWith<M extends HttpMethod> = {
  [P in keyof paths]: paths[P] extends { [K in M]: unknown } ? P : never;
}[keyof paths];

/** The operation object of a path and method. */
export type Operation<P extends keyof paths, M extends HttpMethod> = paths[P] extends { [K in M]: infer O } ? O : never;

// biome-ignore lint/complexity/noBannedTypes: `{} extends Pick<T, K>` is how an optional key is detected
export type RequiredKeysOf<T> = { [K in keyof T]-?: {} extends Pick<T, K> ? never : K }[keyof T];

type Responses<O> = O extends { responses: infer R } ? R : never;
type Body<R> = R extends { content: infer C } ? C[keyof C] : undefined;
type SuccessStatus = 200 | 201 | 202 | 203 | 204 | 206;

/** What a successful answer of the operation carries (a union when it has several success statuses). */
export type SuccessData<O> = {
  [S in keyof Responses<O>]: S extends SuccessStatus ? Body<Responses<O>[S]> : never;
}[keyof Responses<O>];

type ParamsOf<O> = O extends { parameters: infer P } ? P : never;
/** `params` ({ path, query, header }) as the operation declares them: required when any of them is. */
export type ParamsOption<O> = [ParamsOf<O>] extends [never]
  ? { params?: never }
  : RequiredKeysOf<ParamsOf<O>> extends never
    ? { params?: ParamsOf<O> }
    : { params: ParamsOf<O> };

type RequestBodyOf<O> = O extends { requestBody?: infer B } ? NonNullable<B> : never;
type RequestContent<O> = RequestBodyOf<O> extends { content: infer C } ? C[keyof C] : never;
/** `body` as the operation declares it: JSON object, or bytes (Blob, ArrayBuffer, a typed array, a stream). */
export type BodyOption<O> = [RequestContent<O>] extends [never]
  ? { body?: never }
  : O extends { requestBody: unknown }
    ? { body: RequestContent<O> }
    : { body?: RequestContent<O> };

/** The error codes the workers answer with: the catalogue's string-literal union (the contract's `ErrorCode`). */
export type ErrorCode = components['schemas']['ErrorCode'];

/** The shared error envelope of every worker (each operation narrows `error.code` to the codes it can return). */
export interface ErrorEnvelope {
  error: { code: ErrorCode; message: string; details?: Record<string, unknown> | Array<Record<string, unknown>> };
  requestId: string;
  timestamp: string;
}

/** The pagination block of every list answer. */
export type Pagination = components['schemas']['Pagination'];

/** GET paths whose answer is a page: `{ items, pagination }`. */
export type ListPaths = {
  [P in PathsWith<'get'>]: SuccessData<Operation<P, 'get'>> extends {
    items: readonly unknown[];
    pagination: Pagination;
  }
    ? P
    : never;
}[PathsWith<'get'>];

/** One page of a list operation. */
export type PageOf<P extends ListPaths> = Extract<
  SuccessData<Operation<P, 'get'>>,
  { items: readonly unknown[]; pagination: Pagination }
>;

/** The item type of a list operation. */
export type ItemOf<P extends ListPaths> = PageOf<P>['items'][number];

/** A binary request body: what fetch sends as raw bytes. */
export type BinaryBody = Blob | ArrayBuffer | ArrayBufferView | ReadableStream<Uint8Array>;
