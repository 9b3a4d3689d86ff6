// SPDX-License-Identifier: Apache-2.0
'use strict';
// The end-to-end scenario every binding runs against the real library
// (tests/e2e/ffi_node.sh sets the paths): open, keygen, team policy, save,
// the review gate, verify, tamper, journal, transcription with an on-end
// callback, cancel, fill, subject access export, close.
const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

function env(name) {
    const value = process.env[name];
    if (!value)
        throw new Error(`${name} is not set: run tests/e2e/ffi_node.sh`);
    return value;
}

const cs = require('..');
cs.load(env('CS_LIB'));
const { Context, Record, Transcript, CaseScribeError, constants } = cs;

const FORM = fs.readFileSync(env('CS_FORM'));
const DATA = path.dirname(env('CS_FORM'));
const ACTOR = { userId: 'sw-017', role: 'social-worker' };
// A review is dated after the draft it checks was saved: take the time when reviewing.
const nowUtc = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');
const review = (at) => `origin="ai-reviewed" reviewed-by="sw-017" reviewed-at="${at}" review="edited"`;

// Runs `fn` and returns the CaseScribeError it throws (fails when it does not).
function caught(fn) {
    try {
        fn();
    } catch (error) {
        assert.ok(error instanceof CaseScribeError, `not a CaseScribeError: ${error}`);
        return error;
    }
    assert.fail('no CaseScribeError was thrown');
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Handles opened in a test are closed when it ends, whatever happens (what
// `using` does in later Node versions): `const record = own(t, Record.open(...))`.
function own(t, handle) {
    t.after(() => {
        if (!handle.closed)
            handle.close();
    });
    return handle;
}

describe('end-to-end scenario', () => {
    let dir;
    let ctx;
    let keyId;
    let v1; // stamped version 1 (text)
    let v2; // the reviewed, final version 2 (text)
    let transcript;

    before(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cs-node-'));
    });

    after(async () => {
        transcript?.[Symbol.dispose]();
        if (ctx && !ctx.closed)
            await ctx.closeAsync();
        fs.rmSync(dir, { recursive: true, force: true });
    });

    it('a. opens a context in a fresh home and makes a key', () => {
        ctx = Context.open(path.join(dir, 'home'), { create: true, noSync: true });
        assert.equal(ctx.home, path.join(dir, 'home'));
        keyId = ctx.keygen();
        assert.match(keyId, /^ed25519:/);
        assert.equal(caught(() => ctx.keygen()).codeName, 'EKEY');
        assert.equal(ctx.journalTruncatedBytes, 0);
    });

    it('b. switches team features on and reads the policy back', (t) => {
        ctx.teamSet('admin-1', 'cin-north', 'ai-draft', 'on');
        ctx.teamSet('admin-1', 'cin-north', 'transcription', 'on');
        const policy = own(t, ctx.teamPolicy('cin-north'));
        assert.equal(policy.team, 'cin-north');
        assert.equal(policy.feature('ai-draft'), true);
        assert.equal(policy.feature('transcription'), true);
        assert.equal(policy.feature('external-ai'), false);
        assert.equal(policy.setting('ai-draft'), 'on');
        assert.equal(policy.state, constants.POLICY_SIGNED);
        assert.equal(policy.stateName, 'signed');
        assert.equal(policy.version, 2);
        assert.equal(policy.problem, null);
        assert.match(policy.digest, /^sha256:/);
        assert.equal(caught(() => policy.feature('no-such-feature')).codeName, 'ENOTFOUND');
        assert.deepEqual(ctx.teamList(), ['cin-north']);
    });

    it('c. saves the form and inspects the stamped record', (t) => {
        const stamped = ctx.save(FORM, { actor: ACTOR });
        assert.ok(Buffer.isBuffer(stamped));
        v1 = stamped.toString('utf8');
        const record = own(t, Record.open(stamped));
        assert.equal(record.id, 'R-7001');
        assert.equal(record.version, 1);
        assert.equal(record.team, 'cin-north');
        assert.equal(record.author, 'sw-017');
        assert.equal(record.isFinal, false);
        assert.equal(record.keyId, keyId);
        assert.equal(record.sectionCount, 2);
        const origins = Object.fromEntries(record.sections.map((s) => [s.id, s.origin]));
        assert.deepEqual(origins, { observations: 'ai-draft', analysis: 'human' });
        assert.equal(record.section(0).engine, 'embedded:pocketsphinx');
        assert.match(record.section(0).text, /family support worker/);
        assert.equal(record.section(2), null);
    });

    let finalDraft;
    it('d. refuses a final save with an unreviewed AI draft (EREVIEW)', () => {
        finalDraft = v1.replace('author="sw-017"', 'author="sw-017" final="true"');
        const error = caught(() => ctx.save(finalDraft, { actor: ACTOR }));
        assert.equal(error.code, constants.EREVIEW);
        assert.equal(error.codeName, 'EREVIEW');
        assert.match(error.message, /observations/);
    });

    it('e. saves the reviewed final version as version 2', (t) => {
        const at = nowUtc();
        const reviewed = finalDraft.replace('origin="ai-draft"', review(at));
        v2 = ctx.save(reviewed, { actor: ACTOR }).toString('utf8');
        const record = own(t, Record.open(v2));
        assert.equal(record.version, 2);
        assert.equal(record.isFinal, true);
        const observations = record.sections.find((s) => s.id === 'observations');
        assert.equal(observations.origin, 'ai-reviewed');
        assert.equal(observations.reviewer, 'sw-017');
        assert.equal(observations.reviewedAt, at);
        assert.equal(observations.review, 'edited');
        // what the stamp says, without parsing <provenance>
        assert.equal(record.stamp('version'), '2');
        assert.equal(record.stamp('actor'), 'sw-017');
        assert.equal(record.stamp('policy-team'), 'cin-north');
        assert.match(record.stamp('previous'), /^sha256:/);
        assert.equal(record.stamp('no-such-fact'), null);
        assert.equal(record.stampCount('section'), record.sections.length);
        assert.equal(record.stampItem('section', 0, 'reviewed-at'), at);
        assert.equal(record.stampItem('section', 0, 'origin'), 'ai-reviewed');
        assert.equal(record.stampCount('consent'), 1);
        assert.equal(record.stampItem('consent', 0, 'local-ai'), 'allowed');
        assert.equal(record.stampItem('section', 99, 'id'), null);
    });

    it('f. verifies, with the home and with the public key alone, and catches tampering', () => {
        const report = ctx.verify(v2);
        assert.match(report, /VERIFIED/);
        const pem = ctx.publicKey();
        assert.match(pem, /BEGIN PUBLIC KEY/);
        assert.match(cs.verifyWithPublicKey(pem, v2), /VERIFIED/);

        const tampered = v2.replace('family support worker', 'family friend');
        assert.notEqual(tampered, v2);
        const error = caught(() => ctx.verify(tampered));
        assert.equal(error.code, constants.EVERIFY);
        assert.equal(error.codeName, 'EVERIFY');
        assert.match(error.report, /text changed/);
        assert.equal(caught(() => cs.verifyWithPublicKey(pem, tampered)).codeName, 'EVERIFY');
    });

    it('g. verifies the journal and reads its first entry', (t) => {
        const { entries, report } = ctx.journalVerify();
        assert.ok(entries >= 3, `only ${entries} journal entries`);
        assert.equal(entries, 5); // the key, two policy changes, two saves
        assert.match(report, /check out/);
        const checkpoint = ctx.checkpointExport();
        assert.ok(checkpoint.startsWith('casescribe/') && checkpoint.includes('\n5\n'), checkpoint);
        assert.match(ctx.journalCheck(checkpoint), /the ledger holds it/);
        assert.equal(caught(() => ctx.journalCheck(checkpoint.replace('\n5\n', '\n6\n'))).codeName, 'EVERIFY');
        assert.equal(own(t, ctx.journalEntry(1)).kind, 'key');
        const entry = own(t, ctx.journalEntry(2));
        assert.equal(entry.seq, 2);
        assert.equal(entry.kind, 'policy');
        assert.equal(entry.actorId, 'admin-1');
        assert.match(entry.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
        assert.equal(entry.field('team'), 'cin-north');
        assert.equal(entry.field('setting'), 'ai-draft');
        assert.equal(entry.field('old'), 'off');
        assert.equal(entry.field('new'), 'on');
        assert.equal(entry.field('seq'), '2');
        assert.equal(entry.field('no-such-field'), null);
        assert.equal(JSON.parse(entry.json).setting, 'ai-draft');
        const save = own(t, ctx.journalEntry(5));
        assert.equal(save.kind, 'save');
        assert.equal(save.recordId, 'R-7001');
        assert.equal(save.recordVersion, 2);
        assert.match(save.recordDigest, /^sha256:/);
        assert.equal(caught(() => ctx.journalEntry(99)).codeName, 'ENOTFOUND');
    });

    it('h. transcribes the recording in a job, with an on-end callback', { timeout: 180_000 }, async (t) => {
        const job = ctx.transcribe({
            form: FORM,
            audioPath: env('CS_AUDIO'),
            helperPath: env('CS_ASR'),
            parallel: 2,
        });
        try {
            assert.equal(job.kind, 'transcription');
            let calls = 0;
            let endedIn = null;
            job.onEnd((j) => {
                calls += 1;
                endedIn = j.stateName;
            });
            // Poll the state, waiting in short steps (the library's wait, with
            // a timeout) and yielding to the event loop between them so that
            // the callback, relayed from the library's thread, can run.
            const deadline = Date.now() + 120_000;
            while (job.state < constants.JOB_DONE) {
                assert.ok(Date.now() < deadline, 'the transcription did not end within 120 s');
                job.wait(100);
                await sleep(10);
            }
            assert.equal(job.status, constants.OK, `job failed: ${job.message}`);
            assert.equal(job.stateName, 'done');
            while (calls === 0 && Date.now() < deadline)
                await sleep(10);
            await sleep(50);
            assert.equal(calls, 1, 'the on-end callback must run exactly once');
            assert.equal(endedIn, 'done');

            transcript = job.transcript();
        } finally {
            job.close();
        }
        assert.ok(transcript.segmentCount > 0);
        const words = transcript.segments.flatMap((s) => s.words);
        assert.ok(words.length > 0, 'no words');
        assert.ok(words.every((w) => typeof w.text === 'string' && w.endMs >= w.startMs));
        assert.equal(transcript.engine, 'embedded:pocketsphinx');
        const text = transcript.render('text');
        assert.match(text, /Machine transcript/);
        // The XML rendering reads back into an equal transcript.
        const again = own(t, Transcript.open(transcript.render('xml')));
        assert.equal(again.segmentCount, transcript.segmentCount);
        assert.equal(again.render('text'), text);
    });

    it('i. cancels a second transcription: CANCELLED or DONE, never a crash', { timeout: 180_000 }, async (t) => {
        const job = own(t, ctx.transcribe({
            form: FORM,
            audioPath: env('CS_AUDIO'),
            helperPath: env('CS_ASR'),
            parallel: 2,
        }));
        job.cancel();
        const state = await job.done({ timeoutMs: 120_000 });
        assert.ok(['cancelled', 'done'].includes(state), state);
        if (state === 'cancelled') {
            assert.equal(job.status, constants.ECANCELLED);
            assert.equal(caught(() => job.transcript()).codeName, 'ECANCELLED');
        }
    });

    it('j. finds the template and drafts a form from the transcript', { timeout: 180_000 }, async (t) => {
        assert.ok(ctx.templateList().includes('statutory-home-visit'));
        const template = own(t, ctx.templateFind('statutory-home-visit'));
        assert.equal(template.id, 'statutory-home-visit');
        assert.ok(template.title.length > 0);
        const analysis = template.sections.find((s) => s.id === 'analysis');
        assert.equal(analysis.ai, 'never');
        assert.ok(template.sections.some((s) => s.ai === 'draft' && s.prompts.length > 0));
        assert.equal(caught(() => ctx.templateFind('no-such-template')).codeName, 'ENOTFOUND');

        // The visit form, on the statutory template, keeping only the
        // worker's own "analysis" section (the template has no
        // "observations").
        const form = FORM.toString('utf8')
            .replace('template="statutory-home-visit"', 'template="statutory-home-visit"')
            .replace(/\s*<section id="observations"[^]*?<\/section>/, '');
        const job = own(t, ctx.fill({ form, template, transcript }));
        assert.equal(await job.done({ timeoutMs: 120_000 }), 'done', job.message ?? '');
        const result = job.result();
        const draft = job.draft().toString('utf8');
        assert.match(draft, /statutory-home-visit/);
        // A reading of Austen matches no section of a visit: then the result
        // says so for each section.
        if (!draft.includes('origin="ai-draft"'))
            assert.match(result, /nothing in the transcript matched it/);
    });

    it('j2. drafts AI sections from a transcript of a visit', { timeout: 180_000 }, async (t) => {
        const template = own(t, ctx.templateFind('statutory-home-visit'));
        const visit = own(t, Transcript.open(fs.readFileSync(path.join(DATA, 'statutory-visit-transcript.xml'))));
        const form = fs.readFileSync(path.join(DATA, 'statutory-visit.xml'));
        const job = own(t, ctx.fill({ form, template, transcript: visit }));
        assert.equal(await job.done({ timeoutMs: 120_000 }), 'done', job.message ?? '');
        const draft = job.draft();
        assert.match(draft.toString('utf8'), /origin="ai-draft"/);
        assert.match(job.result(), /drafted by/);
        const record = own(t, Record.open(draft));
        assert.ok(record.sections.some((s) => s.origin === 'ai-draft'));
        assert.doesNotMatch(draft.toString('utf8'), />Kerry said /);
        // The record style: each speaker's line as reported speech.
        const reported = own(t, ctx.fill({ form, template, transcript: visit, style: 'reported' }));
        assert.equal(await reported.done({ timeoutMs: 120_000 }), 'done', reported.message ?? '');
        assert.match(reported.draft().toString('utf8'), />Kerry said /);
        assert.throws(() => ctx.fill({ form, template, transcript: visit, style: 'plain' }), TypeError);
    });

    it('k. exports the subject access request and verifies the ZIP', (t) => {
        const zip = path.join(dir, 'sar-P-2.zip');
        const review = path.join(dir, 'redaction-review.csv');
        const sar = own(t, ctx.sar({ subjectId: 'P-2', outputPath: zip, reviewPath: review }));
        sar.add(v2);
        const summary = sar.finish();
        sar.close(); // a finished export is still freed
        assert.ok(summary.text.length > 0);
        assert.ok(Object.keys(summary.counts).length > 0, summary.text);
        assert.ok(fs.existsSync(zip));
        assert.ok(fs.existsSync(review));
        const report = cs.sarVerify(zip, ctx.publicKey());
        assert.equal(typeof report, 'string');
        assert.ok(report.includes(cs.publicKeyFingerprint(ctx.publicKey())), report);
        const untrusted = caught(() => cs.sarVerify(zip));
        assert.equal(untrusted.codeName, 'EUNTRUSTED');
        assert.ok(untrusted.report.includes('NOT PROVEN'), untrusted.report);
        assert.equal(caught(() => cs.sarVerify(path.join(dir, 'missing.zip'))).codeName, 'ENOTFOUND');
    });

    it('l. closes the context; closing again or using it throws', () => {
        ctx.close();
        assert.equal(ctx.closed, true);
        const again = caught(() => ctx.close());
        assert.equal(again.codeName, 'EINVAL');
        assert.match(again.message, /closed/);
        assert.equal(caught(() => ctx.save(FORM, { actor: ACTOR })).codeName, 'EINVAL');
        assert.equal(caught(() => ctx.home).codeName, 'EINVAL');
        assert.equal(caught(() => ctx.journalVerify()).codeName, 'EINVAL');
    });
});
