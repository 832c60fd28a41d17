/**
 * openapi-typescript settings for generated/codex-api.d.ts, so that the types accept exactly what the server accepts:
 *
 * - `defaultNonNullable: false`: a property is required when the schema lists it in `required`, and only then. With
 *   openapi-typescript's default (true) every property with a `default` became required, wherever the schema sits —
 *   so `visibility` (default "public") was required in createContent's body although the server fills it in. What a
 *   response always carries is stated the same way, by `required` (see `defaultsOutsideRequired`).
 * - binary bodies (`format: binary`, and media types that are not JSON or text) get binary types instead of
 *   `string`: what a request may send as bytes, and what the client hands back for a binary response (a stream: a
 *   video is read as it arrives, not buffered).
 */
import ts from 'typescript';
import { bodyKind } from './routes';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

const ref = (name: string, args: ts.TypeNode[] = []) =>
  ts.factory.createTypeReferenceNode(name, args.length ? args : undefined);
const bytes = () => ref('ReadableStream', [ref('Uint8Array')]);

/** A binary request body: whatever fetch sends as raw bytes. A binary response is read as a stream (`bytes`). */
const binaryRequest = () =>
  ts.factory.createUnionTypeNode([ref('Blob'), ref('ArrayBuffer'), ref('ArrayBufferView'), bytes()]);

/** The media type named by a schema location such as `#/paths/~1x/put/requestBody/content/video~1mp4/schema`. */
function mediaTypeAt(path: string): string | undefined {
  const m = /\/content\/([^/]+)\/schema$/.exec(path);
  return m?.[1]?.replace(/~1/g, '/').replace(/~0/g, '~');
}

export const typescriptOptions = {
  defaultNonNullable: false,
  transform(schema: unknown, options: { path?: string }): ts.TypeNode | undefined {
    if (!isObj(schema) || schema.type !== 'string') return undefined;
    const path = options.path ?? '';
    const media = mediaTypeAt(path);
    const binary =
      schema.format === 'binary' || (media !== undefined && bodyKind(media, schema) === 'binary' && !schema.enum);
    if (!binary) return undefined;
    return path.includes('/requestBody/') ? binaryRequest() : bytes();
  },
};

/**
 * Properties with a `default` that are not `required`, in schemas a response uses: the server always sends such a
 * property, so the response schema must list it in `required` (otherwise the generated response type calls it
 * optional). Returns "Schema.property" names; empty when the contract is right.
 */
export function defaultsOutsideRequired(contract: Obj): string[] {
  const components = (
    isObj(contract.components) && isObj(contract.components.schemas) ? contract.components.schemas : {}
  ) as Obj;
  const found = new Set<string>();
  const seen = new Set<unknown>();
  const visit = (schema: unknown, name: string) => {
    if (!isObj(schema) || seen.has(schema)) return;
    seen.add(schema);
    if (typeof schema.$ref === 'string') {
      const target = schema.$ref.replace(/^#\/components\/schemas\//, '');
      visit(components[target], target);
      return;
    }
    const required = new Set(Array.isArray(schema.required) ? schema.required : []);
    for (const [prop, sub] of Object.entries(isObj(schema.properties) ? schema.properties : {})) {
      if (isObj(sub) && 'default' in sub && !required.has(prop)) found.add(`${name}.${prop}`);
      visit(sub, `${name}.${prop}`);
    }
    for (const key of ['items', 'additionalProperties', 'not']) visit(schema[key], name);
    for (const key of ['allOf', 'anyOf', 'oneOf', 'prefixItems']) {
      for (const sub of Array.isArray(schema[key]) ? schema[key] : []) visit(sub, name);
    }
  };
  for (const [path, item] of Object.entries(isObj(contract.paths) ? contract.paths : {})) {
    for (const [method, op] of Object.entries(isObj(item) ? item : {})) {
      if (!isObj(op) || !isObj(op.responses)) continue;
      for (const [status, response] of Object.entries(op.responses)) {
        if (!isObj(response) || !isObj(response.content)) continue;
        for (const media of Object.values(response.content)) {
          if (isObj(media)) visit(media.schema, `${method.toUpperCase()} ${path} ${status}`);
        }
      }
    }
  }
  return [...found].sort();
}
