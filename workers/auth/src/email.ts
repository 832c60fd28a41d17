/**
 * Outgoing email behind one interface. The transport is chosen by EMAIL_TRANSPORT:
 * - `console` (development default): prints one line with the link, never the address;
 * - `memory` (tests): appends to the in-process `outbox`;
 * - `http` (production default): POSTs JSON to EMAIL_API_URL with `Authorization: Bearer EMAIL_API_KEY`.
 * Email addresses are never logged.
 */
import type { Logger } from '@codex/worker-kit';

export type EmailKind = 'verify-email' | 'reset-password';

export interface EmailMessage {
  to: string;
  subject: string;
  text: string;
  /** The link the message carries (also inside `text`). */
  link: string;
  kind: EmailKind;
}

export interface EmailSender {
  readonly transport: EmailTransport;
  send(message: EmailMessage): Promise<void>;
}

export const EMAIL_TRANSPORTS = ['console', 'memory', 'http'] as const;
export type EmailTransport = (typeof EMAIL_TRANSPORTS)[number];

export interface EmailBindings {
  ENVIRONMENT?: string;
  EMAIL_TRANSPORT?: string;
  EMAIL_API_URL?: string;
  EMAIL_API_KEY?: string;
  /** Sender address for the http transport, e.g. "Codex <no-reply@revelations.studio>". */
  EMAIL_FROM?: string;
}

/** Messages sent with the `memory` transport, oldest first (tests read and clear it). */
export const outbox: EmailMessage[] = [];

const HTTP_TIMEOUT_MS = 10_000;

export function emailTransportFor(env: EmailBindings): EmailTransport {
  const chosen = env.EMAIL_TRANSPORT?.trim();
  if (chosen) {
    if ((EMAIL_TRANSPORTS as readonly string[]).includes(chosen)) return chosen as EmailTransport;
    throw new Error(`Unknown EMAIL_TRANSPORT "${chosen}"`);
  }
  const environment = env.ENVIRONMENT ?? 'development';
  return environment === 'development' || environment === 'test' ? 'console' : 'http';
}

export function createEmailSender(env: EmailBindings): EmailSender {
  const transport = emailTransportFor(env);
  switch (transport) {
    case 'memory':
      return {
        transport,
        async send(message) {
          outbox.push({ ...message });
        },
      };
    case 'console':
      return {
        transport,
        async send(message) {
          // One line, for `npm run dev`: the link is what a developer needs to continue the flow.
          console.log(`[codex-auth email] ${message.kind}: ${message.link}`);
        },
      };
    case 'http':
      return {
        transport,
        async send(message) {
          if (!env.EMAIL_API_URL) throw new Error('EMAIL_API_URL is not configured');
          const res = await fetch(env.EMAIL_API_URL, {
            method: 'POST',
            headers: {
              'content-type': 'application/json',
              ...(env.EMAIL_API_KEY ? { authorization: `Bearer ${env.EMAIL_API_KEY}` } : {}),
            },
            body: JSON.stringify({
              ...(env.EMAIL_FROM ? { from: env.EMAIL_FROM } : {}),
              to: message.to,
              subject: message.subject,
              text: message.text,
              kind: message.kind,
            }),
            signal: AbortSignal.timeout(HTTP_TIMEOUT_MS),
          });
          if (!res.ok) throw new Error(`email API answered ${res.status}`);
        },
      };
  }
}

/**
 * Sends and never throws: a failed delivery is logged (kind and reason only, no address) so that
 * it neither fails the request nor reveals whether an account exists.
 */
export async function deliver(sender: EmailSender, message: EmailMessage, log: Logger) {
  try {
    await sender.send(message);
  } catch (e) {
    log.error('email delivery failed', {
      kind: message.kind,
      transport: sender.transport,
      reason: e instanceof Error ? e.message.slice(0, 200) : 'unknown',
    });
  }
}

export function verificationEmail(to: string, name: string, link: string): EmailMessage {
  return {
    kind: 'verify-email',
    to,
    subject: 'Confirm your email address',
    link,
    text: `Hello ${name},\n\nPlease confirm your email address by opening this link:\n\n${link}\n\nThe link is valid for 24 hours. If you did not create an account, ignore this message.\n`,
  };
}

export function resetPasswordEmail(to: string, name: string, link: string): EmailMessage {
  return {
    kind: 'reset-password',
    to,
    subject: 'Reset your password',
    link,
    text: `Hello ${name},\n\nSomeone asked to reset the password of your account. To choose a new password, open this link:\n\n${link}\n\nThe link is valid for 1 hour and works once. If it was not you, ignore this message: your password is unchanged.\n`,
  };
}
