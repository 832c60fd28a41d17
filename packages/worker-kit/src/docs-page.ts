/**
 * The Scalar reference pages (each worker's /docs, and the merged docs of `npm run dev`) as a workbench:
 * try-it sends each operation to a server the page lists, with the browser's cookies, and the page's CSP lets
 * it connect to exactly those servers.
 */

/**
 * Scalar's `onBeforeRequest` hook: every try-it request carries the browser's cookies (`credentials: "include"`),
 * so the `codex-session` cookie set by a try-it sign-in (POST /api/auth/email/login) goes with the signed-in
 * operations of every worker, the cross-origin ones included (the workers' CORS allows the docs origin with
 * credentials). Scalar writes this function into the page as source text: it must stay a self-contained arrow
 * function. Scalar's typings declare a void return; its hook runner (1.46) uses a returned `{ request }` instead of
 * the original, which is what this relies on (test/pipeline/docs-try-it.test.ts signs in and calls through it).
 */
export const tryItWithCookies = ({ request }: { request: Request }) => ({
  request: new Request(request, { credentials: 'include' }),
});

/** Scalar options shared by every reference page: self-hosted, no fonts, no telemetry, no AI agent, cookies sent. */
export function scalarPageOptions(options: {
  url: string;
  cdn: string;
  pageTitle: string;
  nonce: string;
}): Record<string, unknown> {
  return {
    ...options,
    withDefaultFonts: false,
    agent: { disabled: true },
    telemetry: false,
    onBeforeRequest: tryItWithCookies,
  };
}

/** The origins of a list of server URLs (invalid URLs skipped), without duplicates. */
export function originsOf(urls: readonly string[]): string[] {
  const out = new Set<string>();
  for (const url of urls) {
    try {
      out.add(new URL(url).origin);
    } catch {
      // not a URL: nothing to allow
    }
  }
  return [...out];
}

/**
 * The CSP of a reference page: its own scripts (the self-hosted bundle and the nonced start-up script), no
 * external fonts or images, and `connect-src` limited to the page itself and the servers try-it offers.
 */
export function docsPageCsp(nonce: string, connectTo: readonly string[]): string {
  const connect = ["'self'", ...originsOf(connectTo)].join(' ');
  return `default-src 'self'; script-src 'self' 'nonce-${nonce}'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src ${connect}; frame-ancestors 'self'; base-uri 'none'`;
}
