// CommonJS consumers: require() gets the CJS build, with the same API.
const { createCodexClient, NotFoundError, APIError } = require('@codex/client');

(async () => {
  const client = createCodexClient({ baseUrls: JSON.parse(process.env.BASE_URLS) });
  const health = await client.worker('identity').GET('/health');
  const missing = await client.GET('/api/organizations/slug/{slug}', {
    params: { path: { slug: 'no-such-org-here' } },
  });
  console.log(
    JSON.stringify({
      cookies: client.cookies,
      health: health.data?.status ?? null,
      notFound: missing.error instanceof NotFoundError && missing.error instanceof APIError,
      code: missing.error?.code ?? null,
    }),
  );
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
