/**
 * The generator side of the client's types (scripts/contract/typescript.ts, scripts/contract/routes.ts): what
 * @hono/zod-openapi emits for a zod `.default()` field becomes an optional request property, a binary body a
 * binary type, and the route map says how each body is sent and read. Run on small contracts through the same
 * openapi-typescript call as `npm run contract`.
 */
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import openapiTS, { astToString } from 'openapi-typescript';
import { describe, expect, it } from 'vitest';
import { bodyKind, operationsOf } from '../../scripts/contract/routes';
import { defaultsOutsideRequired, typescriptOptions } from '../../scripts/contract/typescript';

type Obj = Record<string, unknown>;

/** A one-route app as the workers declare routes, and its OpenAPI document. */
function contractOf(response: z.ZodType) {
  const app = new OpenAPIHono();
  const Create = z
    .object({ title: z.string(), visibility: z.enum(['public', 'private']).default('public') })
    .openapi('Create');
  app.openapi(
    createRoute({
      method: 'post',
      path: '/things',
      request: { body: { required: true, content: { 'application/json': { schema: Create } } } },
      responses: { 201: { description: 'Created', content: { 'application/json': { schema: response } } } },
    }),
    (c) => c.json({ title: 'x', visibility: 'public' } as never, 201),
  );
  app.openapi(
    createRoute({
      method: 'put',
      path: '/things/{id}/file',
      request: {
        params: z.object({ id: z.string() }),
        body: { required: true, content: { 'video/mp4': { schema: z.string().openapi({ format: 'binary' }) } } },
      },
      responses: {
        200: { description: 'Stored', content: { 'video/mp4': { schema: z.string().openapi({ format: 'binary' }) } } },
        204: { description: 'Nothing' },
      },
    }),
    (c) => c.body(null, 204),
  );
  return app.getOpenAPI31Document({ openapi: '3.1.0', info: { title: 't', version: '1' } }) as unknown as Obj;
}

const Thing = z.object({ title: z.string(), visibility: z.enum(['public', 'private']) }).openapi('Thing');

describe('generated request and response types', () => {
  it('a defaulted field is optional in the request, required in the response that lists it', async () => {
    const doc = contractOf(Thing);
    const types = astToString(await openapiTS(doc as never, typescriptOptions));
    const field = (schema: string) =>
      new RegExp(`${schema}: \\{[\\s\\S]*?(visibility\\??): "public" \\| "private";`).exec(types)?.[1];
    expect(field('Create')).toBe('visibility?');
    expect(field('Thing')).toBe('visibility');
    expect(defaultsOutsideRequired(doc)).toEqual([]);
  });

  it('refuses a response schema whose defaulted field is not required (zod .default() on an output)', () => {
    const Defaulted = z.object({ title: z.string(), visibility: z.string().default('public') }).openapi('Defaulted');
    expect(defaultsOutsideRequired(contractOf(Defaulted))).toEqual(['Defaulted.visibility']);
  });

  it('binary bodies: bytes in, a stream out; the route map tells the client how to send and read', async () => {
    const doc = contractOf(Thing);
    const types = astToString(await openapiTS(doc as never, typescriptOptions));
    expect(types).toContain('"video/mp4": Blob | ArrayBuffer | ArrayBufferView | ReadableStream<Uint8Array>;');
    expect(types).toContain('"video/mp4": ReadableStream<Uint8Array>;');
    expect(operationsOf(doc)).toEqual({
      'POST /things': { id: 'POST /things', body: 'json', read: { 201: 'json' }, creates: true },
      'PUT /things/{id}/file': { id: 'PUT /things/{id}/file', body: 'binary', read: { 200: 'binary', 204: 'empty' } },
    });
  });

  it('reads media types as JSON, text or bytes', () => {
    expect(bodyKind('application/json', {})).toBe('json');
    expect(bodyKind('application/problem+json', {})).toBe('json');
    expect(bodyKind('text/html', { type: 'string' })).toBe('text');
    expect(bodyKind('application/javascript', { type: 'string' })).toBe('text');
    expect(bodyKind('audio/mpeg', { type: 'string', format: 'binary' })).toBe('binary');
    expect(bodyKind('application/octet-stream', { type: 'string' })).toBe('binary');
  });
});
