/**
 * Headless Chromium for tests that look at pages as a person would: Debian's /usr/bin/chromium driven by
 * playwright-core (never a downloaded browser). The flags keep it off the network: this machine reaches nothing
 * but the package registries, and Chromium would otherwise try Google's services at every start.
 */
import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

export const CHROMIUM_PATH = '/usr/bin/chromium';

/** Whether the browser is installed; suites skip (saying why) when it is not. CI installs it. */
export function hasChromium(suite: string): boolean {
  const present = existsSync(CHROMIUM_PATH);
  if (!present) {
    console.warn(`${suite}: skipped — ${CHROMIUM_PATH} is absent (install it with: apt-get install -y chromium)`);
  }
  return present;
}

export function launchChromium(extraArgs: string[] = []): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
      '--disable-sync',
      '--disable-quic',
      ...extraArgs,
    ],
  });
}
