#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
// Two instances of the example case management system (examples/cms) on
// one shared ledger (PostgreSQL) and one shared CMS database, walked in
// real headless Chromium by one social worker in two browser sessions: on
// instance A log in, record consent, upload the visit recording (instance B,
// looking in meanwhile, must leave A's job to A), get the transcript and an
// AI draft, save version 1 as a draft; on instance B open the same record,
// see an unreviewed final save refused (EREVIEW), review the AI sections and
// save version 2 as the final record; the seal (B's key) then checks out on
// B and on A. A screenshot of each step goes to $ARTIFACTS/cms2-NN-step.png.
//
//   CMS_A_URL=http://127.0.0.1:PORT_A CMS_B_URL=http://127.0.0.1:PORT_B \
//   CMS_A_NAME=server-a CMS_B_KEY=ed25519:... CMS_NORTH_PASSWORD=... CMS_AUDIO=visit.wav ARTIFACTS=dir \
//   node tests/browser/cms_two.mjs
//
// Exit status: 0 every step passed; 1 a step failed; 2 the walk could not run.
// Environment: CHROMIUM (default /usr/bin/chromium), CMS_TIMEOUT_MS (default 300000).

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { check, env, launch, run, until as untilShown, walk } from './walk.mjs';




// One instance as one browser session sees it: its own cookies, its own page.
async function instance(label, url) {
  const context = await walk.browser.newContext({ viewport: { width: 1280, height: 900 } });
  context.setDefaultTimeout(30000);
  const page = await context.newPage();
  const text = (sel) => page.locator(sel).innerText();
  return {
    label, page, text, base: url.replace(/\/$/, ''),
    async login(password) {
      await page.goto(`${this.base}/login`);
      await page.fill('#username', 'north-worker');
      await page.fill('#password', password);
      await page.click('button:has-text("Log in")');
      check(page.url().endsWith('/cases'), `login on instance ${label} did not lead to the case list: ${page.url()}`);
    },
    async until(sel, what) { // polls a job by following "Check again"
      await untilShown(page, sel, what);
    },
    async verify(version, key) {
      await page.click('button:has-text("Check the latest version")');
      const result = await text('#verify-result');
      check(result.includes('The seal checks out'), `the record does not verify on instance ${label}: ${result}`);
      const report = await text('#verify-report');
      check(report.includes('Result: VERIFIED') && report.includes(`version ${version}`),
        `verify report on instance ${label}: ${report}`);
      check(report.includes(`with key ${key}`), `the report on instance ${label} does not name the key ${key}: ${report}`);
    },
  };
}

async function main() {
  const artifacts = env('ARTIFACTS');
  mkdirSync(artifacts, { recursive: true });
  await launch();
  const password = env('CMS_NORTH_PASSWORD');
  const a = await instance('A', env('CMS_A_URL'));
  const b = await instance('B', env('CMS_B_URL'));
  check(a.base !== b.base, 'CMS_A_URL and CMS_B_URL name the same instance');

  let n = 0;
  const step = async (name, on, fn) => {
    await fn();
    n += 1;
    const shot = join(artifacts, `cms2-${String(n).padStart(2, '0')}-${name}.png`);
    await on.page.screenshot({ path: shot, fullPage: true });
    walk.passed += 1;
    process.stdout.write(`ok ${n} - ${name} on instance ${on.label} (${shot})\n`);
  };

  await step('a-consent', a, async () => {
    await a.login(password);
    await a.page.click('a:has-text("N-1001")');
    for (const subject of ['C-1001', 'P-1001']) {
      await a.page.selectOption('#subject', subject);
      for (const scope of ['record-audio', 'transcribe', 'ai-draft']) {
        await a.page.check(`#consent-form input[name=scope][value=${scope}]`);
      }
      await a.page.click('button:has-text("Record consent")');
      check((await a.text('#flash')).includes('Consent recorded'), `consent for ${subject} was not recorded`);
    }
    const ai = await a.text('#ai-state');
    check(ai.includes('Recording and transcription: available'), `AI is not available after consent: ${ai}`);
  });

  let visit = '';
  await step('a-upload', a, async () => {
    await a.page.setInputFiles('#audio', env('CMS_AUDIO'));
    await a.page.click('button:has-text("Upload and transcribe")');
    const m = a.page.url().match(/\/visits\/(\d+)$/);
    check(m, `the upload did not open the visit record: ${a.page.url()}`);
    visit = m[1];
  });

  await step('b-job-left-to-a', b, async () => {
    // Instance B shares the database, not A's jobs: while A transcribes, B
    // says so and must not take the job for lost.
    await b.login(password);
    await b.page.goto(`${b.base}/visits/${visit}`);
    check((await b.page.locator('#job-error').count()) === 0,
      `instance B took A's job for lost: ${await b.page.locator('main').innerText()}`);
    if (await b.page.locator('#working').count()) {
      const where = await b.text('#transcription-progress');
      check(where.includes(`Running on server ${env('CMS_A_NAME')}`), `instance B says: ${where}`);
      process.stdout.write(`instance B saw the job running on ${env('CMS_A_NAME')}\n`);
    } else {
      process.stdout.write('the job had ended before instance B looked\n');
    }
  });

  await step('a-transcript', a, async () => {
    await a.page.goto(`${a.base}/visits/${visit}`);
    await a.until('#transcript', 'the transcription');
    check((await a.text('#transcript')).includes('Machine transcript'), 'the transcript is not shown');
  });

  let sections = 0;
  await step('a-draft-saved', a, async () => {
    await a.page.selectOption('#template', 'statutory-home-visit');
    await a.page.click('button:has-text("Draft the record")');
    await a.until('#editor', 'the drafting');
    const drafted = a.page.locator('section[data-origin=ai-draft]');
    sections = await drafted.count();
    let withText = 0;
    for (let i = 0; i < sections; i++) {
      if ((await drafted.nth(i).locator('textarea').inputValue()).trim()) withText += 1;
    }
    check(withText >= 1, `the draft has no AI section with text (${sections} AI sections)`);
    await a.page.click('#editor button[value=draft]');
    check((await a.text('#flash')).includes('Saved version 1 as a draft'), 'the draft was not saved on instance A');
    process.stdout.write(`instance A saved ${sections} AI sections (${withText} with text) as version 1\n`);
  });

  await step('b-opens-a-draft', b, async () => {
    await b.page.goto(`${b.base}/visits/${visit}`);
    const drafted = b.page.locator('section[data-origin=ai-draft]');
    check((await drafted.count()) === sections, `instance B shows ${await drafted.count()} AI sections, not ${sections}`);
    check((await drafted.first().innerText()).includes('not yet reviewed'), 'the AI draft is not marked unreviewed on B');
    check((await b.text('#versions')).includes('draft'), 'instance B does not list version 1');
  });

  await step('b-final-refused', b, async () => {
    const resp = b.page.waitForResponse((r) => r.url().endsWith('/save'));
    await b.page.click('#editor button[value=final]');
    check((await resp).status() === 422, 'the unreviewed final save on B did not answer 422');
    const error = await b.text('#error');
    check(error.includes('EREVIEW'), `the unreviewed final save on B was not refused by the library: ${error}`);
  });

  await step('b-final-saved', b, async () => {
    const drafted = b.page.locator('section[data-origin=ai-draft]');
    let edited = '';
    for (let i = 0; i < sections; i++) {
      const s = drafted.nth(i);
      await s.locator('input[name=reviewed]').check();
      if (i === 0) {
        edited = await s.getAttribute('data-section');
        const area = s.locator('textarea');
        await area.fill(`${(await area.inputValue()).trim()} Checked against the recording on server B.`);
      }
    }
    await b.page.fill('#text-analysis', 'Mia appears settled and her needs are being met at home.');
    await b.page.click('#editor button[value=final]');
    check((await b.text('#flash')).includes('Saved version 2 as the final record'),
      `the reviewed final save on B failed: ${await b.page.locator('main').innerText()}`);
    const part = b.page.locator(`section[data-section="${edited}"]`);
    check((await part.getAttribute('data-origin')) === 'ai-reviewed', 'the edited section is not ai-reviewed');
    check((await part.innerText()).includes('reviewed by north-worker'), 'the reviewer is not shown');
  });

  // Version 2 was stamped through B, with B's key: A finds it in the shared key registry.
  await step('b-verify', b, async () => b.verify(2, env('CMS_B_KEY')));

  await step('a-verify', a, async () => {
    await a.page.goto(`${a.base}/visits/${visit}`);
    check((await a.text('#final-note')).includes('final (version 2)'), 'instance A does not show the final version 2');
    await a.verify(2, env('CMS_B_KEY'));
  });
}

await run('cms_two', main);
