// SPDX-License-Identifier: Apache-2.0
'use strict';
// Small checks of the binding itself: errors, constants, status texts,
// versions, struct layouts, closed handles.
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
const { CaseScribeError, Context, Record, Template, Transcript, constants } = cs;

function caught(fn) {
    try {
        fn();
    } catch (error) {
        assert.ok(error instanceof CaseScribeError, `not a CaseScribeError: ${error}`);
        return error;
    }
    assert.fail('no CaseScribeError was thrown');
}

test('an error carries the code, its name and the library message', () => {
    const error = caught(() => Record.open('<nope'));
    assert.ok(error instanceof Error);
    assert.equal(error.name, 'CaseScribeError');
    assert.equal(error.code, constants.EPARSE);
    assert.equal(error.code, -4);
    assert.equal(error.codeName, 'EPARSE');
    assert.match(error.message, /^EPARSE: /);
    assert.match(error.detail, /not well-formed/);
    // the message was read on this thread right after the failing call
    assert.equal(cs.lastError(), error.detail);
});

test('constants by name', () => {
    assert.equal(cs.constant('EVERIFY'), -10);
    assert.equal(constants.EVERIFY, -10);
    assert.equal(constants.OK, 0);
    assert.equal(constants.OPEN_CREATE, 1);
    assert.equal(constants.JOB_CANCELLED, 4);
    assert.equal(constants.TRANSCRIPT_XML, 1);
    assert.equal(cs.codeName(-7), 'EREVIEW');
    assert.equal(cs.codeName(-999), undefined);
    assert.ok(Object.isFrozen(constants));
    const error = caught(() => cs.constant('NO_SUCH_CONSTANT'));
    assert.equal(error.codeName, 'ENOTFOUND');
    assert.match(error.message, /NO_SUCH_CONSTANT/);
});

test('strerror', () => {
    assert.equal(cs.strerror(0), 'success');
    assert.match(cs.strerror(constants.EVERIFY), /changed after it was stamped/);
    assert.equal(cs.strerror(-999), 'unknown status');
});

test('version and ABI version', () => {
    assert.match(cs.version(), /^\d+\.\d+\.\d+$/);
    assert.equal(cs.abiVersion(), 1);
    assert.equal(cs.abiVersion(), constants.ABI_VERSION);
});

test('the option structs are laid out as the C compiler lays them out', (t) => {
    const koffi = require('koffi');
    const sizes = {
        ctx_options: koffi.sizeof(cs.types.CtxOptions),
        actor: koffi.sizeof(cs.types.Actor),
        fetch_options: koffi.sizeof(cs.types.FetchOptions),
        transcribe_options: koffi.sizeof(cs.types.TranscribeOptions),
        fill_options: koffi.sizeof(cs.types.FillOptions),
        sar_options: koffi.sizeof(cs.types.SarOptions),
    };
    // the library's own record of its sizes
    assert.equal(sizes.ctx_options, constants.CTX_OPTIONS_SIZE);
    assert.equal(sizes.actor, constants.ACTOR_SIZE);
    assert.equal(sizes.fetch_options, constants.FETCH_OPTIONS_SIZE);
    assert.equal(sizes.transcribe_options, constants.TRANSCRIBE_OPTIONS_SIZE);
    assert.equal(sizes.fill_options, constants.FILL_OPTIONS_SIZE);
    // and the C compiler's, from the installed header (ffi_node.sh measures them)
    if (!process.env.CS_C_SIZES) {
        t.diagnostic('CS_C_SIZES not set: sar_options checked by hand only');
        assert.equal(sizes.sar_options, 56);
        return;
    }
    const measured = Object.fromEntries(process.env.CS_C_SIZES.trim().split(/\s+/)
        .map((pair) => pair.split('=')).map(([name, size]) => [name, Number(size)]));
    assert.deepEqual(sizes, measured);
});

test('versionInfo names the loaded library and its features', () => {
    const koffi = require('koffi');
    const info = cs.versionInfo();
    assert.equal(`${info.major}.${info.minor}.${info.patch}`, cs.version());
    assert.equal(info.versionNum, cs.constant('VERSION_NUM'));
    assert.equal(info.abiVersion, cs.abiVersion());
    for (const feature of ['EMBEDDED_ENGINE', 'REMOTE_ENGINES', 'STORE_SQLITE', 'ADAPTER_XML', 'ADAPTER_FHIR'])
        assert.ok(info.has(feature), feature);
    assert.equal(koffi.sizeof(cs.types.LibraryInfo), cs.constant('LIBRARY_INFO_SIZE'));
    assert.equal(caught(() => info.has('NO_SUCH_FEATURE')).codeName, 'ENOTFOUND');
});

test('loading another library path is refused', () => {
    assert.doesNotThrow(() => cs.load(env('CS_LIB')));
    assert.throws(() => cs.load('/nonexistent/libcasescribe.so'), /loaded already/);
});

test('every exported function is declared', () => {
    // the same list the coverage check greps for, as the loaded library has it
    const names = Object.keys(cs.raw);
    assert.equal(names.length, 138);
    for (const name of names)
        assert.equal(typeof cs.raw[name], 'function', name);
});

test('a handle closed twice, or used after close, throws EINVAL', () => {
    const record = Record.open(fs.readFileSync(env('CS_FORM')));
    assert.equal(record.id, 'R-7001');
    assert.equal(record.version, 0); // not stamped
    record.close();
    assert.equal(record.closed, true);
    assert.equal(caught(() => record.close()).codeName, 'EINVAL');
    assert.equal(caught(() => record.id).codeName, 'EINVAL');
    assert.equal(caught(() => record.sections).codeName, 'EINVAL');
    record[Symbol.dispose](); // disposing a closed handle is fine
});

test('templates and transcripts from memory', () => {
    const dir = process.env.CASESCRIBE_TEMPLATE_DIR;
    if (dir) {
        const template = Template.open(fs.readFileSync(path.join(dir, 'statutory-home-visit.xml')));
        try {
            assert.equal(template.id, 'statutory-home-visit');
            assert.ok(template.version >= 1);
            assert.ok(template.sectionCount > 1);
            assert.equal(template.section(template.sectionCount), null);
        } finally {
            template.close();
        }
    }
    assert.equal(caught(() => Template.open('<template')).codeName, 'EPARSE');
    assert.equal(caught(() => Transcript.open('<transcript')).codeName, 'EPARSE');
    const transcript = Transcript.open(fs.readFileSync(path.join(path.dirname(env('CS_FORM')),
        'statutory-visit-transcript.xml')));
    try {
        assert.ok(transcript.segmentCount > 1);
        const first = transcript.segment(0);
        assert.ok(first.words.length > 0);
        assert.equal(first.words[0].confidence, 900);
        assert.equal(transcript.segment(transcript.segmentCount), null);
        assert.equal(transcript.word(0, 100000), null);
    } finally {
        transcript.close();
    }
});

test('bad arguments fail in JavaScript or with EINVAL, never crash', () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'cs-node-unit-'));
    const ctx = Context.open(home, { noSync: true });
    try {
        assert.throws(() => ctx.save('<form/>', {}), TypeError); // no actor
        assert.throws(() => ctx.save(42, { actor: { userId: 'a' } }), TypeError);
        assert.equal(caught(() => ctx.save('<form/>', { actor: { userId: 'a' }, adapter: 'nope' })).codeName,
            'ENOTFOUND');
        assert.equal(caught(() => ctx.publicKey()).codeName, 'EKEY');
        assert.equal(caught(() => ctx.teamSet('admin-1', 'bad team!', 'ai-draft', 'on')).codeName, 'EINVAL');
    } finally {
        ctx.close();
        fs.rmSync(home, { recursive: true, force: true });
    }
    const missing = path.join(os.tmpdir(), `cs-node-missing-${process.pid}`);
    assert.equal(caught(() => Context.open(missing)).codeName, 'EIO');
});

test('store admin: a home\'s own store, its schema and entries', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cs-node-store-'));
    try {
        const home = path.join(dir, 'home');
        const ctx = Context.open(home, { create: true, noSync: true });
        ctx.keygen();
        ctx.close();
        const report = cs.storeAdmin(home, 'status');
        assert.match(report, /sqlite/);
        assert.match(report, /entries: 1/);
        assert.equal(caught(() => cs.storeAdmin(home, 'nonsense')).codeName, 'EINVAL');
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
});

test('journal recover: a ledger rebuilt from a backup, the damaged one kept', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cs-node-recover-'));
    try {
        const home = path.join(dir, 'home'), backup = path.join(dir, 'backup.db');
        const ctx = Context.open(home, { create: true, noSync: true });
        ctx.keygen();
        ctx.close();
        fs.copyFileSync(path.join(home, 'ledger.db'), backup);
        const report = cs.journalRecover(home, backup);
        assert.match(report, /from the backup/);
        assert.ok(fs.readdirSync(home).some((n) => n.startsWith('ledger.db.damaged-')));
        assert.equal(caught(() => cs.journalRecover(home, path.join(dir, 'none.db'))).codeName, 'ENOTFOUND');
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
});

test('detached JSON Web Signatures: sign, verify, a changed payload, a malformed JWS', () => {
    const crypto = require('node:crypto');
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'cs-node-jws-'));
    const ctx = Context.open(path.join(home, 'home'), { create: true, noSync: true });
    const other = Context.open(path.join(home, 'other'), { create: true, noSync: true });
    try {
        assert.equal(caught(() => ctx.jwsSign('no key yet')).codeName, 'EKEY');
        const keyId = ctx.keygen();
        other.keygen();
        const pem = ctx.publicKey();
        const payload = Buffer.from('{"resourceType":"Provenance","target":[{"reference":"Composition/R-7001"}]}');
        const jws = ctx.jwsSign(payload);
        const [header, detached, signature] = jws.split('.');
        assert.equal(detached, '', 'the payload is detached');
        assert.deepEqual(JSON.parse(Buffer.from(header, 'base64url').toString('utf8')), { alg: 'EdDSA', kid: keyId });
        assert.equal(cs.jwsVerify(jws, pem, payload), true);
        assert.equal(cs.jwsVerify(jws, Buffer.from(pem), new Uint8Array(payload)), true);
        assert.equal(cs.jwsVerify(ctx.jwsSign(''), pem, Buffer.alloc(0)), true);
        // any Ed25519 implementation checks it: RFC 7515 appendix F, RFC 8037
        const input = Buffer.from(`${header}.${payload.toString('base64url')}`);
        assert.ok(crypto.verify(null, input, pem, Buffer.from(signature, 'base64url')));

        const changed = Buffer.from(payload.toString().replace('R-7001', 'R-7002'));
        const error = caught(() => cs.jwsVerify(jws, pem, changed));
        assert.equal(error.code, constants.EVERIFY);
        assert.equal(error.codeName, 'EVERIFY');
        assert.ok(error.detail.length > 0);
        assert.equal(caught(() => cs.jwsVerify(jws, other.publicKey(), payload)).codeName, 'EVERIFY');
        for (const malformed of ['', 'not a jws', `${header}.${signature}`, `${jws}.x`, `%%%..${signature}`])
            assert.equal(caught(() => cs.jwsVerify(malformed, pem, payload)).codeName, 'EPARSE', malformed);
        assert.equal(caught(() => cs.jwsVerify(jws, 'not a key', payload)).codeName, 'EKEY');
        assert.throws(() => cs.jwsVerify(null, pem, payload), TypeError);
    } finally {
        ctx.close();
        other.close();
        fs.rmSync(home, { recursive: true, force: true });
    }
    assert.equal(caught(() => ctx.jwsSign('closed')).codeName, 'EINVAL');
});

test('the key registry: rotation history, export, trusted keys', () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'cs-node-keys-'));
    const ctx = Context.open(path.join(home, 'home'), { create: true, noSync: true });
    const other = Context.open(path.join(home, 'other'), { create: true, noSync: true });
    try {
        const first = ctx.keygen();
        const second = ctx.keygen({ rotate: true });
        const lines = ctx.keysExport({ list: true }).trim().split('\n');
        assert.deepEqual(lines.map((l) => l.split(' ').slice(0, 2)), [[first, 'home'], [second, 'home']]);
        assert.match(lines[0], / retired /);
        assert.match(lines[1], / in-use /);
        assert.equal(ctx.keysExport({ homeOnly: true }).split('BEGIN PUBLIC KEY').length - 1, 2);
        const otherId = other.keygen();
        assert.deepEqual(ctx.keyTrust('dpo-1', other.publicKey()), [otherId]);
        assert.match(ctx.keysExport({ list: true }), / trusted /);
        assert.equal(ctx.keysExport().split('BEGIN PUBLIC KEY').length - 1, 3);
        assert.equal(caught(() => ctx.keyTrust('dpo-1', 'not a key')).codeName, 'EKEY');
    } finally {
        ctx.close();
        other.close();
        fs.rmSync(home, { recursive: true, force: true });
    }
});

test('policy bundles: sign, trust, and a refresh that cannot connect', { timeout: 60_000 }, async () => {
    const crypto = require('node:crypto');
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'cs-node-bundle-'));
    const ctx = Context.open(path.join(home, 'home'), { create: true, noSync: true });
    try {
        ctx.keygen();
        const { publicKey, privateKey } = crypto.generateKeyPairSync('ed25519');
        const keyFile = path.join(home, 'admin.key');
        fs.writeFileSync(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
        const bundle = '<bundle xmlns="urn:casescribe:policy:1" serial="1" issued-by="dpo-1" ' +
            'issued-at="2026-11-23T10:00:00Z"><team name="adults-east"><features transcription="on" ' +
            'ai-draft="off" external-ai="off" observation-tags="off"/><audio-retention-days>3</audio-retention-days>' +
            '<engine>embedded</engine></team></bundle>';
        const signed = cs.policyBundleSign(bundle, keyFile);
        assert.match(signed.toString('utf8'), /adults-east/);
        assert.notDeepEqual(signed, Buffer.from(bundle));
        fs.chmodSync(keyFile, 0o644);
        assert.equal(caught(() => cs.policyBundleSign(bundle, keyFile)).codeName, 'EKEY');

        ctx.policyTrust('dpo-1', publicKey.export({ type: 'spki', format: 'pem' }));
        assert.equal(caught(() => ctx.policyTrust('dpo-1', 'not a key')).codeName, 'EKEY');

        // Nothing listens on port 1 of this machine: the job fails, changing nothing.
        const job = ctx.policyRefresh({ url: 'https://127.0.0.1:1/bundle.xml', connectTimeoutMs: 2000,
            timeoutMs: 5000 });
        try {
            assert.equal(job.kind, 'policy-refresh');
            assert.equal(await job.done({ timeoutMs: 30_000 }), 'failed');
            assert.equal(job.status, constants.ENETWORK);
            assert.ok(job.message.length > 0);
            const error = caught(() => job.result());
            assert.equal(error.codeName, 'ENETWORK');
        } finally {
            job.close();
        }
        assert.deepEqual(ctx.teamList(), []);
        assert.equal(ctx.audioSweep(), 0);
    } finally {
        ctx.close();
        fs.rmSync(home, { recursive: true, force: true });
    }
});

test('two-phase saves: confirm, the record head, and a failed host commit superseded', () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'cs-node-2pc-'));
    const ctx = Context.open(path.join(home, 'home'), { create: true, noSync: true, twoPhase: true });
    try {
        ctx.keygen();
        ctx.teamSet('admin-1', 'cin-north', 'ai-draft', 'on');
        const actor = { userId: 'sw-017' };
        const v1 = ctx.save(fs.readFileSync(env('CS_FORM')), { actor });
        ctx.saveConfirm(v1);
        assert.deepEqual([ctx.recordHead('R-7001').version, ctx.recordHead('R-7001').confirmed], [1, 1]);
        const text = Buffer.from(v1).toString('utf8');
        const v2 = ctx.save(text.replace('check in with school', 'call the school'), { actor }); // host commit fails
        const head = ctx.recordHead('R-7001');
        assert.deepEqual([head.version, head.confirmed], [2, 1]);
        assert.match(head.digest, /^sha256:/);
        const v3 = ctx.save(text.replace('check in with school', 'visit the school'), { actor });
        assert.match(Buffer.from(v3).toString('utf8'), /version="3"/);
        assert.match(ctx.verify(v2), /Abandoned version/);
        assert.equal(caught(() => ctx.saveConfirm(v2)).codeName, 'ECONFLICT');
        ctx.saveConfirm(v3);
        assert.equal(ctx.recordHead('R-7001').confirmed, 3);
        assert.equal(caught(() => ctx.recordHead('R-unknown')).codeName, 'ENOTFOUND');
    } finally {
        ctx.close();
        fs.rmSync(home, { recursive: true, force: true });
    }
});
