// A Cloudflare Worker that runs the full flow with the packed @codex/client (bundled with esbuild, run in workerd).
import { createCodexClient, detectCookieMode } from '@codex/client';
import Stripe from 'stripe';
import { runFlow, signedWebhook } from './flow.mjs';

export default {
  async fetch(request) {
    const { baseUrls, secret } = await request.json();
    const cryptoProvider = Stripe.createSubtleCryptoProvider();
    const lines = [];
    try {
      const summary = await runFlow({
        client: { baseUrls },
        deliverWebhook: signedWebhook(createCodexClient({ baseUrls }), (payload) =>
          Stripe.webhooks.generateTestHeaderStringAsync({ payload, secret, cryptoProvider }),
        ),
        log: (line) => lines.push(line),
      });
      return Response.json({ ok: true, mode: detectCookieMode(), summary, lines });
    } catch (error) {
      return Response.json({ ok: false, error: String(error?.stack ?? error), lines }, { status: 500 });
    }
  },
};
