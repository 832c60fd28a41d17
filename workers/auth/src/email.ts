/**
 * Outgoing email behind one interface. The transport is chosen by EMAIL_TRANSPORT:
 * - `console` (development default): prints one line with the link, never the address;
 * - `memory` (tests): appends to the in-process `outbox`;
 * - `http` (production default): POSTs JSON to EMAIL_API_URL with `Authorization: Bearer EMAIL_API_KEY`.
 * Email addresses are never logged.
 */
import { type Logger, redactMessage } from '@codex/worker-kit';

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

/** Messages sent with the `memory` transport, oldest first (tests read and clear it). */
export const outbox: EmailMessage[] = [];

const HTTP_TIMEOUT_MS = 10_000;

export interface EmailSettings {
  transport: EmailTransport;
  apiUrl: string | undefined;
  apiKey: string | undefined;
  from: string | undefined;
}

export function createEmailSender(settings: EmailSettings): EmailSender {
  const { transport } = settings;
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
          if (!settings.apiUrl) throw new Error('EMAIL_API_URL is not configured');
          const res = await fetch(settings.apiUrl, {
            method: 'POST',
            headers: {
              'content-type': 'application/json',
              ...(settings.apiKey ? { authorization: `Bearer ${settings.apiKey}` } : {}),
            },
            body: JSON.stringify({
              ...(settings.from ? { from: settings.from } : {}),
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
      reason: e instanceof Error ? redactMessage(e.message) : 'unknown',
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
