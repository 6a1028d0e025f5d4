import { type Browser, chromium } from 'playwright-core';

/** Debian's Chromium, which `.ci/run` installs; Playwright's own browser download does not work here. */
export const CHROMIUM = '/usr/bin/chromium';

/** Headless Chromium with everything that would reach the network switched off. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}
