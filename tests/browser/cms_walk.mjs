#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
// The example case management system (examples/cms) walked in real headless
// Chromium, as a social worker uses it: log in, open a case, record consent,
// upload the visit recording, wait for the transcript, draft the statutory
// visit template, see the `never` section left empty, see an unreviewed
// final save refused (EREVIEW), review and edit, save final, check the seal,
// download the subject access export; then another team's case, a POST
// without its CSRF token, hostile requests (which must be answered at once,
// with no traceback) and the admin page are tried. A screenshot of each step
// goes to $ARTIFACTS/cms-NN-step.png; axe-core (WCAG 2.2 AA) checks the case
// list and the form editor.
//
//   CMS_URL=http://127.0.0.1:PORT CMS_NORTH_PASSWORD=... CMS_ADMIN_PASSWORD=... \
//   CMS_AUDIO=visit.wav CMS_SAR_ZIP=out.zip ARTIFACTS=dir node tests/browser/cms_walk.mjs
//
// Exit status: 0 every step passed; 1 a step failed; 2 the walk could not run.
// Environment: CHROMIUM (default /usr/bin/chromium), CMS_TIMEOUT_MS (default 300000).

import { mkdirSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { Failure, check, env, launch, resolve, run, until as untilShown, walk } from './walk.mjs';


const TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'];



async function main() {
  const base = env('CMS_URL').replace(/\/$/, '');
  const artifacts = env('ARTIFACTS');
  mkdirSync(artifacts, { recursive: true });
  const axeSource = readFileSync(resolve('axe-core/axe.min.js'), 'utf8');
  const browser = await launch();
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  context.setDefaultTimeout(30000);
  const page = await context.newPage();
  // The pages have a strict Content-Security-Policy and no script: any
  // violation the browser reports means a page tried something inline.
  const cspViolations = [];
  page.on('console', (msg) => {
    if (/Content Security Policy/i.test(msg.text())) cspViolations.push(msg.text());
  });

  let n = 0;
  const step = async (name, fn) => {
    await fn();
    n += 1;
    const shot = join(artifacts, `cms-${String(n).padStart(2, '0')}-${name}.png`);
    await page.screenshot({ path: shot, fullPage: true });
    walk.passed += 1;
    process.stdout.write(`ok ${n} - ${name} (${shot})\n`);
  };
  const axe = async (label) => {
    // Evaluated through the DevTools protocol, which the page's CSP does not
    // govern: the pages themselves stay script-free.
    await page.evaluate(axeSource);
    const r = await page.evaluate((tags) => window.axe.run(document, {
      runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'],
    }), TAGS);
    for (const v of r.violations) {
      process.stdout.write(`FAIL [axe ${label}] ${v.id} (${v.impact}): ${v.help}\n`);
      for (const node of v.nodes) process.stdout.write(`       at ${node.target.join(' ')}\n`);
    }
    check(r.violations.length === 0, `axe-core found ${r.violations.length} violations on the ${label}`);
    process.stdout.write(`axe-core: ${label}: no violations (${r.passes.length} rules passed)\n`);
  };
  const text = (sel) => page.locator(sel).innerText();
  const until = (sel, what, each = null) => untilShown(page, sel, what, each);
  const raw = (request) => new Promise((resolve, reject) => { // the status line of a hand-made request
    const { hostname, port } = new URL(base);
    let data = '';
    const sock = connect(Number(port), hostname, () => sock.write(Buffer.from(request, 'latin1')));
    sock.setTimeout(10000, () => {
      sock.destroy();
      reject(new Failure(`no answer within 10 s to ${JSON.stringify(request.slice(0, 80))}`));
    });
    sock.on('data', (d) => { data += d.toString('latin1'); });
    sock.on('end', () => resolve(data.split('\r\n')[0]));
    sock.on('error', reject);
  });
  const login = async (user, password) => {
    await page.goto(`${base}/login`);
    await page.fill('#username', user);
    await page.fill('#password', password);
    await page.click('button:has-text("Log in")');
  };

  await step('login', async () => {
    await page.goto(`${base}/`);
    check(page.url().endsWith('/login'), `the start page did not ask to log in: ${page.url()}`);
    await login('north-worker', 'not the password');
    check((await text('#error')).includes('not right'), 'a wrong password was not refused');
  });

  await step('case-list', async () => {
    await login('north-worker', env('CMS_NORTH_PASSWORD'));
    check(page.url().endsWith('/cases'), `login did not lead to the case list: ${page.url()}`);
    const cases = await text('#cases');
    check(cases.includes('N-1001') && cases.includes('N-1002'), 'the team\'s cases are not listed');
    check(!cases.includes('S-2001'), 'another team\'s case is listed');
    await axe('case list');
  });

  await step('case-without-consent', async () => {
    await page.click('a:has-text("N-1001")');
    const ai = await text('#ai-state');
    check(ai.includes('Recording and transcription: not available') && ai.includes('consent is missing'),
      `AI was offered without consent: ${ai}`);
    check((await page.locator('#audio').count()) === 0, 'the upload is offered without consent');
  });

  await step('consent', async () => {
    for (const subject of ['C-1001', 'P-1001']) {
      await page.selectOption('#subject', subject);
      for (const scope of ['record-audio', 'transcribe', 'ai-draft']) {
        await page.check(`#consent-form input[name=scope][value=${scope}]`);
      }
      await page.click('button:has-text("Record consent")');
      check((await text('#flash')).includes('Consent recorded'), `consent for ${subject} was not recorded`);
    }
    const ai = await text('#ai-state');
    check(ai.includes('Recording and transcription: available') && ai.includes('Drafting by AI: available'),
      `AI is not available after consent: ${ai}`);
  });

  await step('transcribing', async () => {
    await page.setInputFiles('#audio', env('CMS_AUDIO'));
    await page.click('button:has-text("Upload and transcribe")');
    check(/\/visits\/\d+$/.test(page.url()), `the upload did not open the visit record: ${page.url()}`);
  });

  await step('transcript', async () => {
    // Each time the page says it is transcribing, it shows how far the job
    // has got (Job.progress); the job may end before a page shows it at all.
    let shown = 0;
    const progressShown = async () => {
      if ((await page.locator('#working').count()) === 0) return;
      check((await page.locator('#transcription-progress').count()) === 1,
        'the page says it is transcribing but shows no progress');
      const p = await text('#transcription-progress');
      check(/Transcribed so far:[^]*\d+% \(\d+:\d\d of \d+:\d\d of the recording\)|Waiting for the recording/.test(p),
        `the progress reads: ${p}`);
      shown += 1;
    };
    await progressShown();
    await until('#transcript', 'the transcription', progressShown);
    process.stdout.write(`transcription progress shown on ${shown} page(s)\n`);
    check((await text('#transcript')).includes('Machine transcript'), 'the transcript is not shown');
  });

  await step('draft', async () => {
    await page.selectOption('#template', 'statutory-home-visit');
    await page.click('button:has-text("Draft the record")');
    await until('#editor', 'the drafting');
    // The `never` section (analysis) is empty and marked as the worker's alone.
    const never = page.locator('section[data-section=analysis]');
    check((await never.getAttribute('data-origin')) === 'never', 'the analysis section is not marked never');
    check((await page.inputValue('#text-analysis')) === '', 'AI text was put in the never section');
    check((await never.innerText()).includes('AI never drafts this part'), 'the never section is not labelled');
    const drafted = page.locator('section[data-origin=ai-draft]');
    const count = await drafted.count();
    check(count >= 1, 'the draft has no AI section');
    let withText = 0;
    for (let i = 0; i < count; i++) {
      const s = drafted.nth(i);
      if ((await s.locator('textarea').inputValue()).trim()) withText += 1;
      check((await s.innerText()).includes('not yet reviewed'), 'an AI section is not marked unreviewed');
    }
    check(withText >= 1, 'no AI section has text');
    process.stdout.write(`draft: ${count} AI sections, ${withText} with text; analysis empty\n`);
    await axe('form editor');
  });

  await step('draft-saved', async () => {
    await page.click('#editor button[value=draft]');
    check((await text('#flash')).includes('Saved version 1 as a draft'), 'the draft was not saved');
  });

  await step('final-refused', async () => {
    const resp = page.waitForResponse((r) => r.url().endsWith('/save'));
    await page.click('#editor button[value=final]');
    check((await resp).status() === 422, 'the refused save did not answer 422');
    const error = await text('#error');
    check(error.includes('EREVIEW') && error.includes('nobody has reviewed'),
      `the unreviewed final save was not refused with the library's message: ${error}`);
    process.stdout.write(`refusal shown: ${error}\n`);
  });

  let editedSection = '';
  await step('reviewed', async () => {
    const drafted = page.locator('section[data-origin=ai-draft]');
    const count = await drafted.count();
    for (let i = 0; i < count; i++) {
      const s = drafted.nth(i);
      await s.locator('input[name=reviewed]').check();
      if (i === 0) {
        editedSection = await s.getAttribute('data-section');
        const area = s.locator('textarea');
        await area.fill(`${(await area.inputValue()).trim()} Checked against the recording.`);
      }
    }
    await page.fill('#text-analysis', 'Mia appears settled and her needs are being met at home.');
    await page.click('#editor button[value=final]');
    check((await text('#flash')).includes('Saved version 2 as the final record'),
      `the reviewed final save failed: ${await page.locator('main').innerText()}`);
    const part = page.locator(`section[data-section="${editedSection}"]`);
    check((await part.getAttribute('data-origin')) === 'ai-reviewed', 'the edited section is not ai-reviewed');
    check((await part.innerText()).includes('reviewed by north-worker'), 'the reviewer is not shown');
  });

  await step('verify', async () => {
    await page.click('button:has-text("Check the latest version")');
    check((await text('#verify-result')).includes('The seal checks out'), 'the record does not verify');
    const report = await text('#verify-report');
    check(report.includes('Result: VERIFIED') && report.includes('version 2'), `verify report: ${report}`);
  });

  await step('sar', async () => {
    await page.goto(`${base}/sar`);
    await page.selectOption('#sar-subject', 'P-1001');
    const [download] = await Promise.all([page.waitForEvent('download'),
      page.click('button:has-text("Download the export")')]);
    check(download.suggestedFilename() === 'subject-access-P-1001.zip',
      `download name: ${download.suggestedFilename()}`);
    const out = env('CMS_SAR_ZIP');
    await download.saveAs(out);
    const zip = readFileSync(out);
    check(zip.subarray(0, 4).equals(Buffer.from('PK\x03\x04', 'binary')), 'the download is not a ZIP');
    check(zip.includes('report.html'), 'the ZIP has no report.html');
    // The same request again, to read its headers.
    const csrf = await page.inputValue('#sar-form input[name=csrf]');
    const r = await context.request.post(`${base}/sar`, { form: { csrf, subject: 'P-1001' } });
    check(r.status() === 200 && r.headers()['content-type'] === 'application/zip',
      `export content type: ${r.status()} ${r.headers()['content-type']}`);
    check(r.headers()['content-disposition'] === 'attachment; filename="subject-access-P-1001.zip"',
      `export disposition: ${r.headers()['content-disposition']}`);
  });

  await step('other-team-refused', async () => {
    const resp = await page.goto(`${base}/cases/S-2001`);
    check(resp.status() === 404, `another team's case answered ${resp.status()}`);
    check((await text('#error')).includes('no such case in your team'), 'no refusal shown');
    check(!(await page.locator('main').innerText()).includes('Ava Shah'), 'another team\'s person is shown');
    // Nor through a form, with a valid CSRF token.
    await page.goto(`${base}/sar`);
    const csrf = await page.inputValue('#sar-form input[name=csrf]');
    const r = await context.request.post(`${base}/cases/S-2001/consent`, {
      form: { csrf, subject: 'C-2001', given_by: 'self', method: 'verbal', capacity: 'has-capacity' },
    });
    check(r.status() === 404, `a POST to another team's case answered ${r.status()}`);
    const sar = await context.request.post(`${base}/sar`, { form: { csrf, subject: 'C-2001' } });
    check(sar.status() === 404, `an export of another team's person answered ${sar.status()}`);
    await page.goto(`${base}/cases/S-2001`);
  });

  await step('csrf-refused', async () => {
    for (const form of [{ subject: 'C-1001', given_by: 'self', method: 'verbal', capacity: 'has-capacity' },
      { csrf: 'forged', subject: 'C-1001', given_by: 'self', method: 'verbal', capacity: 'has-capacity' }]) {
      const r = await context.request.post(`${base}/cases/N-1001/consent`, { form });
      check(r.status() === 403, `a POST with ${form.csrf ? 'a wrong' : 'no'} CSRF token answered ${r.status()}`);
    }
    const admin = await page.goto(`${base}/admin`);
    check(admin.status() === 403, `a worker opened the admin page: ${admin.status()}`);
  });

  await step('hostile-input', async () => {
    // Each is refused (or served) at once; cms.sh fails on any traceback in the server's log.
    const timeout = 10000;
    const multipart = (disposition) => ({
      timeout, headers: { 'Content-Type': 'multipart/form-data; boundary=X' },
      data: Buffer.from(`--X\r\nContent-Disposition: form-data; ${disposition}\r\n\r\nx\r\n--X--\r\n`),
    });
    const session = (await context.cookies()).map((c) => `${c.name}=${c.value}`).join('; ');
    for (const [what, status, request] of [
      ['a 250 KB multipart header', 400, () => context.request.post(`${base}/login`, multipart(';'.repeat(250000)))],
      ['a multipart comment 4000 deep', 403, () => context.request.post(`${base}/login`,
        multipart(`name=${'('.repeat(4000)}`))],
      ['a quoted cookie of backslashes', 200, () => context.request.get(`${base}/cases`,
        { timeout, headers: { Cookie: `${session}; x="${'\\'.repeat(60000)}"` } })],
      ['30 query fields', 400, () => context.request.get(`${base}/cases?${'a=1&'.repeat(30)}`, { timeout })],
      ['600 form fields', 400, () => context.request.post(`${base}/login`,
        { timeout, headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, data: 'a=1&'.repeat(600) })],
    ]) {
      const r = await request();
      check(r.status() === status, `${what} answered ${r.status()}, not ${status}`);
    }
    const host = new URL(base).host;
    for (const [what, status, request] of [
      ['Content-Length: \u00b2', '411', `POST /login HTTP/1.1\r\nHost: ${host}\r\nContent-Length: \u00b2\r\n\r\n`],
      ['a 5000-digit Content-Length', '411',
        `POST /login HTTP/1.1\r\nHost: ${host}\r\nContent-Length: ${'9'.repeat(5000)}\r\n\r\n`],
      ['the target http://[x/cases', '400', `GET http://[x/cases HTTP/1.1\r\nHost: ${host}\r\n\r\n`],
    ]) {
      const line = await raw(request);
      check(line.split(' ')[1] === status, `${what} answered ${line}, not ${status}`);
    }
  });

  await step('admin', async () => {
    await page.click('button:has-text("Log out")');
    check(page.url().endsWith('/login'), 'logout did not lead to the login page');
    await login('admin', env('CMS_ADMIN_PASSWORD'));
    check(page.url().endsWith('/admin'), `the admin did not land on the admin page: ${page.url()}`);
    const cases = await page.goto(`${base}/cases`);
    check(cases.status() === 403, `the admin opened the case list: ${cases.status()}`);
    await page.goto(`${base}/admin`);
    const row = page.locator('#team-south tr', { has: page.locator('form[data-feature=ai-draft]') });
    check((await row.locator('.state').innerText()) === 'off', 'south starts with ai-draft on');
    await row.locator('button').click();
    check((await text('#flash')).includes('changed'), 'the change was not confirmed');
    const again = page.locator('#team-south tr', { has: page.locator('form[data-feature=ai-draft]') });
    check((await again.locator('.state').innerText()) === 'on', 'ai-draft was not switched on for south');
  });

  check(cspViolations.length === 0, `Content-Security-Policy violations: ${cspViolations.join(' | ')}`);
}

await run('cms_walk', main);
