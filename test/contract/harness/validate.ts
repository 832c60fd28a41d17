/**
 * JSON Schema validation against the contract (Ajv, draft 2020-12 = OpenAPI 3.1). The whole document is added
 * to Ajv once under an id, and each schema is compiled as a `$ref` into it, so `#/components/...` references
 * resolve the way they do in the contract.
 */
import Ajv2020, { type ErrorObject, type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import type { Contract } from './contract';

const DOC_ID = 'https://contract.codex.test/codex.yaml';

export interface SchemaValidator {
  /** Validates `value` against the schema at `pointer` (e.g. /paths/~1health/get/responses/200/content/...). */
  validate(pointer: string, value: unknown): string[];
  /** Validates against a component schema by name. */
  validateComponent(name: string, value: unknown): string[];
  /**
   * Validates an error body against the standard envelope `{ error: { code, message, details? }, requestId,
   * timestamp }`, nothing else, with `code` one of the contract's ErrorCode values.
   */
  validateEnvelope(value: unknown): string[];
}

const ENVELOPE = {
  type: 'object',
  required: ['error', 'requestId', 'timestamp'],
  additionalProperties: false,
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      additionalProperties: false,
      properties: {
        code: { $ref: `${DOC_ID}#/components/schemas/ErrorCode` },
        message: { type: 'string', minLength: 1 },
        details: { oneOf: [{ type: 'object' }, { type: 'array', items: { type: 'object' } }] },
      },
    },
    requestId: { type: 'string', minLength: 1 },
    timestamp: { type: 'string', format: 'date-time' },
  },
};

function formatErrors(errors: ErrorObject[] | null | undefined): string[] {
  return (errors ?? []).map((e) => `${e.instancePath || '(root)'} ${e.message ?? 'is invalid'}${paramsNote(e)}`);
}

function paramsNote(e: ErrorObject) {
  const p = e.params as Record<string, unknown>;
  if (p.additionalProperty) return ` (${p.additionalProperty})`;
  if (p.allowedValues) return ` (${JSON.stringify(p.allowedValues)})`;
  return '';
}

export function createValidator(contract: Contract): SchemaValidator {
  const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: true });
  (addFormats as unknown as (a: Ajv2020) => void)(ajv);
  // OpenAPI keywords that are not JSON Schema: declare them so Ajv neither warns nor fails on them.
  for (const kw of ['example', 'discriminator', 'xml', 'externalDocs']) {
    if (!ajv.getKeyword(kw)) ajv.addKeyword(kw);
  }
  ajv.addSchema({ ...contract.doc, $id: DOC_ID } as object);
  const cache = new Map<string, ValidateFunction>();
  let envelope: ValidateFunction | undefined;
  const compile = (pointer: string) => {
    let fn = cache.get(pointer);
    if (!fn) {
      const fragment = pointer
        .split('/')
        .map((seg) => encodeURIComponent(seg).replace(/%7E/gi, '~'))
        .join('/');
      fn = ajv.compile({ $ref: `${DOC_ID}#${fragment}` });
      cache.set(pointer, fn);
    }
    return fn;
  };
  return {
    validate(pointer, value) {
      const fn = compile(pointer);
      return fn(value) ? [] : formatErrors(fn.errors);
    },
    validateComponent(name, value) {
      const fn = compile(`/components/schemas/${name}`);
      return fn(value) ? [] : formatErrors(fn.errors);
    },
    validateEnvelope(value) {
      envelope ??= ajv.compile(ENVELOPE);
      return envelope(value) ? [] : formatErrors(envelope.errors);
    },
  };
}

export function mediaPointer(responsePointer: string, mediaType: string) {
  return `${responsePointer}/content/${mediaType.replace(/~/g, '~0').replace(/\//g, '~1')}/schema`;
}
