import puppeteer, { type Browser } from 'puppeteer-core';
import { requireTool } from './requirements';

/** Debian's chromium (.ci/run installs it); CHROMIUM_PATH points elsewhere. Never a browser download. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** A headless Chromium, or a failure that says how to install it. */
export async function launchBrowser(): Promise<Browser> {
  requireTool(CHROMIUM, ['--version'], 'apt-get install -y chromium, or set CHROMIUM_PATH');
  // --no-sandbox: CI runs as root, where Chromium's sandbox cannot start.
  return puppeteer.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
}
