// SPDX-License-Identifier: Apache-2.0
// What the browser walks of the example CMS share (cms_walk.mjs,
// cms_two.mjs): their errors, checks, launching Chromium, and running a
// walk with a time limit and its exit status (0 every step passed; 1 a
// step failed; 2 the walk could not run).

import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export class Harness extends Error {}
export class Failure extends Error {}

export const JOB_MS = 180000; // transcription or drafting, polled through the page's "Check again" link

// The walk's browser and its count of passed steps.
export const walk = { browser: null, passed: 0 };

export const env = (name) => {
  if (!process.env[name]) throw new Harness(`${name} is not set`);
  return process.env[name];
};

export function check(cond, what) {
  if (!cond) throw new Failure(what);
}

// A module of tests/browser/node_modules, or a Harness error naming the set-up.
export function need(name) {
  try {
    return require(name);
  } catch (e) {
    throw new Harness(`${e.message.split('\n')[0]}: install with tools/setup deps (npm ci --prefix tests/browser)`);
  }
}

export function resolve(name) {
  need(name.split('/')[0]);
  return require.resolve(name);
}

// Headless Chromium (CHROMIUM, default /usr/bin/chromium), kept in walk.browser.
export async function launch() {
  const playwright = need('playwright-core');
  try {
    walk.browser = await playwright.chromium.launch({
      executablePath: process.env.CHROMIUM || '/usr/bin/chromium', timeout: 30000,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  } catch (e) {
    throw new Harness(`cannot launch Chromium: ${e.message}`);
  }
  return walk.browser;
}

// Polls a job's page until `sel` shows, following its "Check again" link
// (or reloading), calling each() first on every round; a job error or
// JOB_MS without it fails the step.
export async function until(page, sel, what, each = null) {
  const end = Date.now() + JOB_MS;
  while ((await page.locator(sel).count()) === 0) {
    if (each) await each();
    const error = page.locator('#job-error');
    if (await error.count()) throw new Failure(`${what}: ${await error.innerText()}`);
    check(Date.now() < end, `${what} did not finish within ${JOB_MS / 1000} s`);
    await page.waitForTimeout(1000);
    const again = page.getByRole('link', { name: 'Check again' });
    if (await again.count()) await again.click();
    else await page.reload();
  }
}

// Runs main() within CMS_TIMEOUT_MS (default 300000), prints the tally
// and exits with the walk's status.
export async function run(name, main) {
  const limit = Number(process.env.CMS_TIMEOUT_MS) || 300000;
  const timer = setTimeout(() => {
    process.stderr.write(`${name}: timed out after ${limit / 1000} s\n`);
    process.exit(2);
  }, limit);
  let status = 0;
  try {
    await main();
    process.stdout.write(`${name}: ${walk.passed} passed, 0 failed\n`);
  } catch (e) {
    status = e instanceof Harness ? 2 : 1;
    const said = e instanceof Failure || e instanceof Harness ? e.message : e.stack;
    process.stdout.write(`${status === 1 ? 'FAIL' : 'ERROR'}: ${said}\n`);
    process.stdout.write(`${name}: ${walk.passed} passed, 1 failed\n`);
  } finally {
    const browser = walk.browser;
    if (browser) await Promise.race([browser.close().catch(() => {}), new Promise((r) => setTimeout(r, 5000).unref())]);
    clearTimeout(timer);
  }
  process.exit(status);
}
