/**
 * HMAC-SHA256 signatures for the worker's capability URLs (upload and stream), with WebCrypto so the same code runs
 * in workerd and Node. One secret, STREAMING_URL_SECRET, signs both kinds; the first signed field names the purpose
 * ("upload" / "stream"), so a signature of one kind never verifies as the other.
 */
/** The parameters a signed URL carries: its expiry (Unix seconds) and the signature over its fields. */
export interface SignedParams {
  expires: number;
  signature: string;
}

/** Signing secrets shorter than this are refused by the workers' configuration. */
export const MIN_SIGNING_SECRET_LENGTH = 32;

const keys = new Map<string, Promise<CryptoKey>>();

function hmacKey(secret: string) {
  let key = keys.get(secret);
  if (!key) {
    key = crypto.subtle.importKey('raw', new TextEncoder().encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, [
      'sign',
      'verify',
    ]);
    keys.set(secret, key);
  }
  return key;
}

/** JSON encoding keeps the field boundaries unambiguous whatever the values contain. */
function payload(fields: Array<string | number>) {
  return new TextEncoder().encode(JSON.stringify(fields.map(String)));
}

function toBase64Url(bytes: ArrayBuffer) {
  let s = '';
  for (const b of new Uint8Array(bytes)) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64Url(value: string): Uint8Array<ArrayBuffer> | null {
  if (!/^[A-Za-z0-9_-]+$/.test(value)) return null;
  try {
    const bin = atob(value.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (value.length % 4)) % 4));
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  } catch {
    return null;
  }
}

export async function sign(secret: string, fields: Array<string | number>): Promise<string> {
  return toBase64Url(await crypto.subtle.sign('HMAC', await hmacKey(secret), payload(fields)));
}

/** Constant-time verification (crypto.subtle.verify). */
export async function verify(secret: string, fields: Array<string | number>, signature: string): Promise<boolean> {
  const bytes = fromBase64Url(signature);
  if (bytes?.length !== 32) return false;
  return crypto.subtle.verify('HMAC', await hmacKey(secret), bytes, payload(fields));
}

export const nowSeconds = () => Math.floor(Date.now() / 1000);
