// SPDX-License-Identifier: Apache-2.0
'use strict';
// One context used from several threads at once. JavaScript has one thread,
// so the threads are koffi's: Context#saveAsync() runs casescribe_save on
// its worker threads, and Promise.all keeps several of those calls in flight
// on the same context together.
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
const { CaseScribeError, Context, Record, constants } = cs;

const FORM = fs.readFileSync(env('CS_FORM'), 'utf8');
const ACTOR = { userId: 'sw-017', role: 'social-worker' };
const THREADS = 4;
const SAVES = 5;

test('one context, 4 threads x 5 saves at once', { timeout: 120_000 }, async () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'cs-node-threads-'));
    const ctx = Context.open(home, { create: true, noSync: true });
    try {
        ctx.keygen();
        ctx.teamSet('admin-1', 'cin-north', 'ai-draft', 'on');

        // Each "thread" saves its records one after another; the four run
        // side by side on koffi's worker threads.
        const worker = async (thread) => {
            const saved = [];
            for (let n = 0; n < SAVES; n++) {
                const id = `R-T${thread}-${n}`;
                const form = FORM.replace('id="R-7001"', `id="${id}"`)
                    .replace('Tuesdays', `Tuesdays (thread ${thread}, save ${n})`);
                saved.push([id, await ctx.saveAsync(form, { actor: ACTOR })]);
            }
            return saved;
        };
        const pending = Array.from({ length: THREADS }, (_, thread) => worker(thread));

        // While saves are running on other threads, closing at once would pull
        // the context from under them: refused, and the context stays open.
        assert.throws(() => ctx.close(), (error) => error.codeName === 'EBUSY');
        assert.equal(ctx.closed, false);

        const results = (await Promise.all(pending)).flat();
        assert.equal(results.length, THREADS * SAVES);
        for (const [id, stamped] of results) {
            const record = Record.open(stamped);
            try {
                assert.equal(record.id, id);
                assert.equal(record.version, 1);
            } finally {
                record.close();
            }
            assert.match(ctx.verify(stamped), /VERIFIED/);
        }

        const { entries } = ctx.journalVerify();
        assert.equal(entries, 2 + THREADS * SAVES); // the key, the policy change and every save

        // A failure on a worker thread still carries its code and name.
        await assert.rejects(ctx.saveAsync('<nope', { actor: ACTOR }), (error) => {
            assert.ok(error instanceof CaseScribeError);
            assert.equal(error.code, constants.EPARSE);
            assert.equal(error.codeName, 'EPARSE');
            return true;
        });
    } finally {
        if (!ctx.closed)
            await ctx.closeAsync();
        fs.rmSync(home, { recursive: true, force: true });
    }
});

test('closeAsync waits for the saves still running', { timeout: 120_000 }, async () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'cs-node-threads-'));
    const ctx = Context.open(home, { create: true, noSync: true });
    try {
        ctx.keygen();
        ctx.teamSet('admin-1', 'cin-north', 'ai-draft', 'on');
        const saves = [];
        for (let n = 0; n < 8; n++)
            saves.push(ctx.saveAsync(FORM.replace('id="R-7001"', `id="R-C-${n}"`), { actor: ACTOR }));
        const closing = ctx.closeAsync();
        assert.equal(ctx.closed, true);
        // no new calls once closing has begun
        assert.throws(() => ctx.saveAsync(FORM, { actor: ACTOR }), (error) => error.codeName === 'EINVAL');
        const settled = await Promise.allSettled(saves);
        await closing;
        assert.ok(settled.every((s) => s.status === 'fulfilled'), JSON.stringify(settled.map((s) => s.status)));
    } finally {
        fs.rmSync(home, { recursive: true, force: true });
    }
});
