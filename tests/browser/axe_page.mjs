#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
// Accessibility check of one self-contained HTML page in real headless Chromium.
//
//   node tests/browser/axe_page.mjs PAGE.html SCREENSHOT.png
//
// The page must be self-contained (no request other than the page file itself),
// hold no scripts of its own, and have no axe-core violation for WCAG 2.0/2.1/2.2
// A and AA plus best-practice, in screen media, and no colour-contrast violation
// in print media either. A full-page screenshot (screen media) goes to
// SCREENSHOT.png.
//
// Exit status: 0 the page passes; 1 the page fails (violations, outside
// resources, scripts); 2 the check itself could not run (bad usage, Chromium
// would not launch, page would not load, time-out). Never skips.
//
// Environment: CHROMIUM (default /usr/bin/chromium), AXE_TIMEOUT_MS (default 60000).

import { createRequire } from 'node:module';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const require = createRequire(import.meta.url);

const EXIT_FAIL = 1;
const EXIT_ERROR = 2;

const TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'];
const CHROMIUM_ARGS = [
  '--no-sandbox', // running as root (CI) needs it
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking', // no outside network: Chromium stalls without these
  '--disable-component-update',
  '--disable-sync',
];

let browser = null;

function die(code, msg) {
  process.stderr.write(`axe_page: ${msg}\n`);
  process.exitCode = code;
  return code;
}

async function closeBrowser() {
  if (!browser) return;
  const b = browser;
  browser = null;
  await Promise.race([b.close().catch(() => {}), new Promise((r) => setTimeout(r, 5000).unref())]);
}

async function main() {
  const [pagePath, shotPath] = process.argv.slice(2);
  if (!pagePath || !shotPath || process.argv.length > 4) {
    return die(EXIT_ERROR, 'usage: node tests/browser/axe_page.mjs PAGE.html SCREENSHOT.png');
  }
  const pageFile = resolve(pagePath);
  if (!existsSync(pageFile) || !statSync(pageFile).isFile()) {
    return die(EXIT_ERROR, `no such page: ${pagePath}`);
  }
  const pageUrl = pathToFileURL(pageFile).href;
  const pageSource = readFileSync(pageFile, 'utf8');

  let playwright, axePath, axeVersion;
  try {
    playwright = require('playwright-core');
    axePath = require.resolve('axe-core/axe.min.js');
    axeVersion = require('axe-core/package.json').version;
  } catch (e) {
    return die(EXIT_ERROR, `${e.message.split('\n')[0]}\n` +
      '  install the test dependencies with: tools/setup deps ' +
      '(or npm ci --prefix tests/browser)');
  }

  const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
  try {
    browser = await playwright.chromium.launch({
      executablePath,
      args: CHROMIUM_ARGS,
      timeout: 30000,
    });
  } catch (e) {
    return die(EXIT_ERROR, `cannot launch Chromium (${executablePath}): ${e.message}\n` +
      '  install it with: tools/setup deps (Debian package chromium), ' +
      'or point CHROMIUM at a Chromium binary');
  }

  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();

  // Self-contained: every request other than the page itself is refused and
  // recorded. The route handler blocks what Chromium lets Playwright intercept;
  // the request listener also sees what it does not (e.g. file:// subresources).
  const outside = new Set();
  const isPage = (url) => url.split('#')[0] === pageUrl;
  const isInline = (url) => url.startsWith('data:') || url.startsWith('blob:') || url === 'about:blank';
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (isPage(url)) return route.continue();
    outside.add(url);
    return route.abort('blockedbyclient');
  });
  page.on('request', (req) => {
    const url = req.url();
    if (!isPage(url) && !isInline(url)) outside.add(url);
  });

  try {
    await page.goto(pageUrl, { waitUntil: 'load', timeout: 30000 });
  } catch (e) {
    return die(EXIT_ERROR, `cannot load ${pageUrl}: ${e.message}`);
  }

  let failed = false;
  let reported = 0;
  const reportOutside = () => { // called again later: lazy images, print-only CSS
    for (const url of [...outside].slice(reported)) {
      failed = true;
      process.stdout.write(`FAIL outside resource: the page tried to load ${url}\n`);
    }
    reported = outside.size;
  };
  reportOutside();

  // Resources not fetched yet (loading="lazy", srcset candidates not chosen)
  // still make the page depend on the outside.
  const refs = await page.evaluate(() => {
    const urls = [];
    const add = (v) => { try { urls.push(new URL(v.trim(), document.baseURI).href); } catch { /* not a URL */ } };
    for (const el of document.querySelectorAll('[src], [poster], object[data]')) {
      for (const a of ['src', 'poster', 'data']) if (el.hasAttribute(a)) add(el.getAttribute(a));
    }
    for (const el of document.querySelectorAll('[srcset]')) {
      for (const c of el.getAttribute('srcset').split(',')) if (c.trim()) add(c.trim().split(/\s+/)[0]);
    }
    for (const el of document.querySelectorAll('link[href]')) {
      if (/\b(stylesheet|icon|preload|prefetch|modulepreload|manifest|apple-touch-icon)\b/i.test(el.rel)) add(el.getAttribute('href'));
    }
    return urls;
  });
  for (const url of refs) if (!isPage(url) && !isInline(url)) outside.add(url);
  reportOutside();

  // No scripts of its own: look at the source as written (a script may have
  // removed itself) and at the live document, before axe-core goes in.
  const scripts = await page.evaluate((source) => {
    const found = [];
    const scan = (doc, where) => {
      for (const s of doc.querySelectorAll('script')) {
        found.push(`${where}: <script${s.src ? ` src="${s.getAttribute('src')}"` : ''}>`);
      }
      for (const el of doc.querySelectorAll('*')) {
        for (const a of el.attributes) {
          if (/^on/i.test(a.name)) found.push(`${where}: <${el.localName} ${a.name}=...>`);
          else if (/^\s*javascript:/i.test(a.value)) found.push(`${where}: <${el.localName} ${a.name}="javascript:...">`);
        }
      }
    };
    scan(new DOMParser().parseFromString(source, 'text/html'), 'source');
    scan(document, 'document');
    return found;
  }, pageSource);
  if (scripts.length > 0) {
    failed = true;
    for (const s of [...new Set(scripts)]) process.stdout.write(`FAIL script in page: ${s}\n`);
  }

  await page.addScriptTag({ path: axePath });
  const runAxe = (options) => page.evaluate((opts) => window.axe.run(document, opts), options);
  const report = (label, results) => {
    for (const v of results.violations) {
      process.stdout.write(`FAIL [${label}] ${v.id} (${v.impact}): ${v.help}\n       ${v.helpUrl}\n`);
      for (const n of v.nodes) {
        process.stdout.write(`       at ${n.target.map((t) => (Array.isArray(t) ? t.join(' >>> ') : t)).join(' | ')}\n`);
        const why = (n.failureSummary || '').split('\n').slice(1).map((l) => l.trim()).filter(Boolean);
        if (why.length) process.stdout.write(`          ${why.join('; ')}\n`);
      }
    }
    for (const v of results.incomplete) {
      const targets = v.nodes.map((n) => n.target.join(' >>> ')).join(' | ');
      process.stdout.write(`review [${label}] ${v.id}: ${v.help} at ${targets}\n`);
    }
    return results.violations.length;
  };

  // Screen media: the whole rule set.
  await page.emulateMedia({ media: 'screen' });
  const screen = await runAxe({ runOnly: { type: 'tag', values: TAGS }, resultTypes: ['violations', 'incomplete'] });
  const screenViolations = report('screen', screen);

  // Full-page screenshot in screen media.
  const shotFile = resolve(shotPath);
  mkdirSync(dirname(shotFile), { recursive: true });
  await page.screenshot({ path: shotFile, fullPage: true });

  // Print media: the print stylesheet must keep text readable too.
  await page.emulateMedia({ media: 'print' });
  const printRules = await page.evaluate(() => {
    let n = 0;
    const walk = (rules, print) => {
      for (const r of rules) {
        const media = r.media ? r.media.mediaText : '';
        const inPrint = print || /\bprint\b/.test(media);
        if (inPrint && r instanceof CSSStyleRule) n++;
        if (r.cssRules) walk(r.cssRules, inPrint);
      }
    };
    for (const sheet of document.styleSheets) {
      try {
        walk(sheet.cssRules, /\bprint\b/.test(sheet.media.mediaText));
      } catch { /* unreadable sheet: counted as an outside resource already */ }
    }
    return { rules: n, matches: matchMedia('print').matches };
  });
  if (!printRules.matches) {
    failed = true;
    process.stdout.write('FAIL print emulation: matchMedia("print") is false under print media\n');
  }
  const print = await runAxe({ runOnly: { type: 'rule', values: ['color-contrast'] }, resultTypes: ['violations', 'incomplete'] });
  const printViolations = report('print', print);
  reportOutside();

  await closeBrowser();

  const violations = screenViolations + printViolations;
  process.stdout.write(
    `axe-core ${axeVersion}: ${violations} violations ` +
    `(${screenViolations} screen, ${printViolations} print), ` +
    `${screen.passes.length} rules passed, ${screen.incomplete.length + print.incomplete.length} incomplete; ` +
    `${outside.size} outside requests, ${scripts.length} scripts, ${printRules.rules} print CSS rules, ` +
    `screenshot ${shotPath}\n`);
  if (violations > 0 || failed) {
    process.stdout.write(`FAIL ${pagePath}\n`);
    process.exitCode = EXIT_FAIL;
  } else {
    process.stdout.write(`PASS ${pagePath}\n`);
    process.exitCode = 0;
  }
  return process.exitCode;
}

const TIMEOUT_MS = Number(process.env.AXE_TIMEOUT_MS) || 60000;
let timedOut = false;
const timer = setTimeout(async () => {
  timedOut = true;
  process.stderr.write(`axe_page: timed out after ${TIMEOUT_MS / 1000} s (hung browser?)\n`);
  await closeBrowser();
  process.exit(EXIT_ERROR);
}, TIMEOUT_MS);

main()
  .catch((e) => {
    if (!timedOut) die(EXIT_ERROR, `error: ${e && e.stack ? e.stack : e}`);
  })
  .finally(async () => {
    await closeBrowser();
    clearTimeout(timer);
  });
