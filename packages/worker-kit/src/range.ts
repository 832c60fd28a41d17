/**
 * HTTP byte ranges (RFC 9110 §14) for the routes that serve files.
 */

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
