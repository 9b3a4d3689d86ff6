// SPDX-License-Identifier: Apache-2.0
'use strict';
// Job#onEnd: the library calls back on its own worker thread; koffi relays
// the call to the JavaScript thread. These check the binding's guarantees
// around that: one call per listener, no deadlock on close, no call lost.
const { test } = require('node:test');
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
const { Context, constants } = cs;

const FORM = fs.readFileSync(env('CS_FORM'));
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function openHome(t) {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'cs-node-jobs-'));
    const ctx = Context.open(home, { create: true, noSync: true });
    t.after(async () => {
        if (!ctx.closed)
            await ctx.closeAsync();
        fs.rmSync(home, { recursive: true, force: true });
    });
    ctx.keygen();
    ctx.teamSet('admin-1', 'cin-north', 'transcription', 'on');
    return ctx;
}

function transcribe(ctx) {
    return ctx.transcribe({ form: FORM, audioPath: env('CS_AUDIO'), helperPath: env('CS_ASR'), parallel: 1 });
}

test('close() refuses while a callback is owed; closeAsync() cancels and delivers it', { timeout: 120_000 },
    async (t) => {
        const ctx = openHome(t);
        const job = transcribe(ctx);
        const seen = [];
        job.onEnd((j) => seen.push(['first', j.stateName]));
        job.onEnd((j) => seen.push(['second', j.stateName]));
        assert.throws(() => ctx.close(), (e) => e.codeName === 'EBUSY' && /closeAsync/.test(e.message));
        assert.equal(ctx.closed, false);
        await ctx.closeAsync();
        while (seen.length < 2)
            await sleep(5);
        await sleep(20);
        assert.equal(seen.length, 2, JSON.stringify(seen));
        assert.deepEqual(seen.map(([who]) => who), ['first', 'second']);
        assert.ok(['cancelled', 'done'].includes(seen[0][1]), seen[0][1]);
        // The job outlives its context.
        assert.ok(job.isEnded);
        if (job.stateName === 'cancelled')
            assert.equal(job.status, constants.ECANCELLED);
        job.close();
    });

test('onEnd on a job that has ended calls back once, asynchronously', { timeout: 120_000 }, async (t) => {
    const ctx = openHome(t);
    const job = transcribe(ctx);
    t.after(() => job.closed || job.close());
    job.cancel();
    assert.ok(job.wait(60_000));
    let calls = 0;
    job.onEnd(() => { calls += 1; });
    assert.equal(calls, 0, 'a listener never runs inside onEnd()');
    await sleep(20);
    assert.equal(calls, 1);
    job.onEnd(() => { calls += 1; });
    await sleep(20);
    assert.equal(calls, 2);
    ctx.close(); // nothing owed any more: a plain close works
});

test('a job closed before it ends still calls back, then the context closes', { timeout: 120_000 },
    async (t) => {
        const ctx = openHome(t);
        const job = transcribe(ctx);
        let called = false;
        job.onEnd((j) => {
            called = true;
            assert.equal(j.closed, true); // the host dropped its handle
        });
        job.close();
        assert.throws(() => job.state, (e) => e.codeName === 'EINVAL');
        const deadline = Date.now() + 60_000;
        while (!called && Date.now() < deadline)
            await sleep(10);
        assert.ok(called);
        ctx.close();
    });

test('an unlimited wait refuses while other jobs owe callbacks', { timeout: 120_000 }, async (t) => {
    const ctx = openHome(t);
    const first = transcribe(ctx);
    const second = transcribe(ctx);
    t.after(() => [first, second].forEach((job) => job.closed || job.close()));
    let calls = 0;
    first.onEnd(() => { calls += 1; });
    assert.throws(() => second.wait(), (e) => e.codeName === 'EBUSY' && /done\(\)/.test(e.message));
    second.wait(0); // a look, or a bounded wait, is fine
    assert.equal(await second.done({ timeoutMs: 60_000 }), 'done');
    assert.equal(await first.done({ timeoutMs: 60_000 }), 'done');
    while (calls === 0)
        await sleep(5);
    assert.ok(second.wait()); // nothing owed any more
    assert.ok(first.wait());
});

test('a job interrupted by closing its context is listed and reattached by id in the next one', { timeout: 120_000 },
    async (t) => {
        const ctx = openHome(t);
        const home = ctx.home;
        const job = transcribe(ctx);
        const id = job.id;
        assert.match(id, /^[0-9a-f]{32}$/);
        await ctx.closeAsync(); // a deploy: the job stops, not for good
        job.close();
        const again = Context.open(home, { noSync: true });
        t.after(async () => { if (!again.closed) await again.closeAsync(); });
        assert.ok(again.jobList().includes(id), again.jobList().join(','));
        assert.ok(again.jobListDetail().some((l) => l.startsWith(`${id} transcription interrupted created `)),
            again.jobListDetail().join('\n'));
        const resumed = again.jobAttach(id);
        assert.equal(resumed.id, id);
        assert.equal(resumed.kind, 'transcription');
        assert.ok(resumed.wait(100_000));
        assert.equal(resumed.stateName, 'done', resumed.message);
        resumed.close();
        assert.deepEqual(again.jobList(), []);
        assert.throws(() => again.jobAttach(id), (e) => e.codeName === 'ENOTFOUND');
    });

test('a transcription reports its progress in milliseconds of the recording', { timeout: 120_000 }, async (t) => {
    const ctx = openHome(t);
    const job = transcribe(ctx);
    t.after(() => job.closed || job.close());
    let last = 0;
    while (!job.isEnded) {
        const { done, total } = job.progress;
        assert.ok(done <= total && done >= last, `progress ${done} of ${total} after ${last}`);
        last = done;
        await sleep(10);
    }
    assert.equal(job.status, 0, job.message);
    const { done, total } = job.progress;
    assert.ok(total > 1000, `total ${total}`);
    assert.equal(done, total);
    ctx.teamSet('admin-1', 'cin-north', 'observation-tags', 'off');
    assert.throws(() => ctx.transcribe({ form: FORM, audioPath: env('CS_AUDIO'), helperPath: env('CS_ASR'),
        tags: Buffer.from('00:00:01 child withdrew to bedroom\n') }), (e) => e.codeName === 'EPOLICY');
});
