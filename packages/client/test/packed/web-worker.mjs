// Bundled with esbuild from the consumer project (resolving the packed @codex/client), loaded by page.html.
import { createCodexClient } from '@codex/client';

self.onmessage = async (e) => {
  const { baseUrls, email, slug } = e.data;
  try {
    const client = createCodexClient({ baseUrls });
    const reg = await client.POST('/api/auth/email/register', {
      body: { email, password: 'Sup3r-secret-pass', name: 'Wendy Worker' },
    });
    if (reg.error) throw reg.error;
    // The browser holds the session: the next call, to another worker, is signed in without any jar.
    const org = await client.POST('/api/organizations', { body: { name: 'Worker Studio', slug } });
    if (org.error) throw org.error;
    const session = await client.GET('/api/auth/session');
    self.postMessage({
      ok: true,
      cookies: client.cookies,
      jar: client.session.get() ?? null,
      userId: reg.data.user.id,
      organization: { id: org.data.id, myRole: org.data.myRole },
      sessionEmail: session.data?.user.email ?? null,
    });
  } catch (error) {
    self.postMessage({ ok: false, error: String(error?.stack ?? error) });
  }
};
