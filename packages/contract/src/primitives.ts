/**
 * The building blocks of every request schema. Each one enforces a rule and states the same rule in the contract
 * (JSON Schema keywords), so that what the server accepts is exactly what the contract allows:
 *
 * - lengths are counted in Unicode code points, as JSON Schema's minLength/maxLength and PostgreSQL's varchar do
 *   (not UTF-16 units, as String#length does);
 * - text never contains U+0000 or an unpaired surrogate (PostgreSQL cannot store them): the `pattern` says so;
 * - required text is not blank (only ASCII whitespace); surrounding ASCII whitespace is trimmed after validation;
 * - uuids are any-case hex 8-4-4-4-12 and normalised to lower case, so one entity has one id everywhere;
 * - emails, URLs and slugs carry the exact pattern the server checks.
 */
import { z } from 'zod';

/** JSON Schema pattern fragments (ECMA-262 with the `u` flag, as Ajv and Python's `re` read them). */
const STORABLE_CHAR = '[^\\u0000\\uD800-\\uDFFF]';
const VISIBLE_CHAR = '[^\\t\\n\\v\\f\\r \\u0000\\uD800-\\uDFFF]';
const ASCII_SPACE = /^[\t\n\v\f\r ]+|[\t\n\v\f\r ]+$/g;

/** Text PostgreSQL can store: no NUL, no unpaired surrogate (a well-formed UTF-16 string). */
export const STORABLE_TEXT_PATTERN = `^${STORABLE_CHAR}*$`;
/** Storable text with at least one character that is not ASCII whitespace. */
export const NON_BLANK_TEXT_PATTERN = `^${STORABLE_CHAR}*${VISIBLE_CHAR}${STORABLE_CHAR}*$`;

const storable = new RegExp(STORABLE_TEXT_PATTERN, 'u');
const nonBlank = new RegExp(NON_BLANK_TEXT_PATTERN, 'u');

/** Length in code points (an astral character such as an emoji counts once). */
export function codePoints(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

export interface TextOptions {
  /** Minimum length in code points (default 1: required text is also non-blank). */
  min?: number;
  /** Keep surrounding whitespace (passwords, tokens). Default: trimmed after validation. */
  keepWhitespace?: boolean;
}

/**
 * Free text of at most `max` code points. With `min` ≥ 1 (the default) it must contain a visible character.
 */
export function text(max: number, options: TextOptions = {}) {
  const min = options.min ?? 1;
  const pattern = min >= 1 ? nonBlank : storable;
  const checked = z
    .string()
    .check((ctx) => {
      const value = ctx.value;
      // The length first, so that a megabyte of input is refused before any pattern runs over it.
      if (value.length > max * 2 || codePoints(value) > max) {
        ctx.issues.push({
          code: 'too_big',
          maximum: max,
          origin: 'string',
          inclusive: true,
          input: value,
          message: `at most ${max} characters`,
        });
        return;
      }
      if (codePoints(value) < min) {
        ctx.issues.push({
          code: 'too_small',
          minimum: min,
          origin: 'string',
          inclusive: true,
          input: value,
          message: `at least ${min} character${min === 1 ? '' : 's'}`,
        });
        return;
      }
      if (!storable.test(value)) {
        ctx.issues.push({ code: 'custom', input: value, message: 'must not contain U+0000 or an unpaired surrogate' });
      } else if (!pattern.test(value)) {
        ctx.issues.push({ code: 'custom', input: value, message: 'must not be blank' });
      }
    })
    .meta({ minLength: min, maxLength: max, pattern: pattern.source });
  return options.keepWhitespace ? checked : checked.transform((s) => s.replace(ASCII_SPACE, ''));
}

/**
 * A string of any length that PostgreSQL can store (text and jsonb): no U+0000, no unpaired surrogate. For text
 * that comes from elsewhere as is (Stripe's ids and names), where `text()`'s trimming and non-blank rule do not
 * apply. Chain `.min()`/`.max()` as needed; the contract states the rule as a `pattern`.
 */
export function storableString(options: { min?: number; max?: number } = {}) {
  let s = z.string();
  if (options.min !== undefined) s = s.min(options.min);
  if (options.max !== undefined) s = s.max(options.max);
  return s
    .check((ctx) => {
      if (!storable.test(ctx.value)) {
        ctx.issues.push({
          code: 'custom',
          input: ctx.value,
          message: 'must not contain U+0000 or an unpaired surrogate',
        });
      }
    })
    .meta({ pattern: STORABLE_TEXT_PATTERN });
}

/** Whether every string (object keys included) anywhere in a JSON value is storable text. */
export function isStorableJson(value: unknown, depth = 0): boolean {
  if (typeof value === 'string') return storable.test(value);
  if (value === null || typeof value !== 'object') return true;
  if (depth > 64) return false;
  if (Array.isArray(value)) return value.every((v) => isStorableJson(v, depth + 1));
  return Object.entries(value).every(([k, v]) => storable.test(k) && isStorableJson(v, depth + 1));
}

/** The pattern of an id: hex 8-4-4-4-12, any case (normalised to lower case). */
export const UUID_PATTERN = '^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$';
const uuidRe = new RegExp(UUID_PATTERN);

/** A uuid in any case, normalised to lower case: `3F1F…` and `3f1f…` are the same entity. */
export function uuid() {
  return z
    .string()
    .regex(uuidRe, 'a uuid (hex 8-4-4-4-12)')
    .transform((s) => s.toLowerCase())
    .meta({ format: 'uuid', pattern: UUID_PATTERN, example: '3f1f8a0e-1d5b-4c59-9f1e-0b8e6f1c2d3a' });
}

/** RFC 5321 limits a forward path to 254 characters. */
export const EMAIL_MAX_LENGTH = 254;
/**
 * The addresses we accept: a dot-atom local part of common characters and a domain of letters, digits and
 * hyphens with a TLD of two or more letters (no quoted local parts, no IP literals). Case-insensitive; stored
 * in lower case.
 */
export const EMAIL_PATTERN =
  "^(?!\\.)(?!.*\\.\\.)[A-Za-z0-9_'+\\-.]*[A-Za-z0-9_+\\-]@([A-Za-z0-9][A-Za-z0-9\\-]*\\.)+[A-Za-z]{2,}$";
const emailRe = new RegExp(EMAIL_PATTERN);

export function email() {
  // Surrounding whitespace is forgiven (trimmed) before the check; the contract states the strict form.
  return z
    .string()
    .trim()
    .max(EMAIL_MAX_LENGTH)
    .regex(emailRe, 'an email address')
    .transform((s) => s.toLowerCase())
    .meta({ format: 'email', pattern: EMAIL_PATTERN, example: 'ada@example.com' });
}

const LABEL = '(?![Xx][Nn]--)[A-Za-z0-9-]{1,63}';
const TOP_LABEL = '(?![Xx][Nn]--)[A-Za-z][A-Za-z0-9-]{0,62}';
const IPV4_OCTET = '(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])';
const PORT = '(6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[0-9]{1,4})';
/**
 * http(s) URLs: a host name (labels of letters, digits and hyphens, the last one starting with a letter; no
 * punycode `xn--` labels) or an IPv4 address, an optional port, then anything without whitespace.
 */
export const HTTP_URL_PATTERN = `^[Hh][Tt][Tt][Pp][Ss]?://((${LABEL}\\.)*${TOP_LABEL}\\.?|${IPV4_OCTET}(\\.${IPV4_OCTET}){3})(:${PORT})?([/?#][^\\s]*)?$`;
const httpUrlRe = new RegExp(HTTP_URL_PATTERN, 'u');

function parsesAsHttpUrl(value: string) {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}

/**
 * An absolute http(s) URL. `format: uri` is stated unless `template` is set (Stripe's redirect URLs carry the
 * literal `{CHECKOUT_SESSION_ID}` placeholder, which is not a valid URI character).
 */
export function httpUrl(max = 2048, options: { template?: boolean } = {}) {
  return z
    .string()
    .max(max)
    .regex(httpUrlRe, 'an absolute http(s) URL')
    .refine(parsesAsHttpUrl, { message: 'an absolute http(s) URL' })
    .meta({ pattern: HTTP_URL_PATTERN, ...(options.template ? {} : { format: 'uri' }) });
}
