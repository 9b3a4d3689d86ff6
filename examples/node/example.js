// SPDX-License-Identifier: Apache-2.0
'use strict';
/*
 * CaseScribe behind a case management system's "save" button, from Node.js:
 * open the home, make a key, save a visit form, see the review gate refuse
 * an unreviewed AI draft on a final save, save the reviewed version, verify
 * it (with the home, then with the public key alone, then a tampered copy),
 * and export the person's records for a subject access request.
 *
 *   npm install casescribe   (or require ffi/node from a CaseScribe checkout)
 *   CASESCRIBE_LIBRARY=/usr/local/lib/libcasescribe.so \
 *       node example.js NEW_HOME_FOLDER home-visit.xml [sar.zip]
 */
const fs = require('node:fs');
const path = require('node:path');
const { Context, CaseScribeError, verifyWithPublicKey, sarVerify } = require('casescribe');

const [home, formPath, zipPath = path.resolve('sar-P-2.zip')] = process.argv.slice(2);
if (!home || !formPath) {
    console.error('usage: node example.js NEW_HOME_FOLDER FORM.xml [SAR.zip]');
    process.exit(2);
}

// Who is saving: the host's signed-in user.
const worker = { userId: 'sw-017', role: 'social-worker' };

// One context per process, shared by every request; close it on shutdown.
const ctx = Context.open(home, { create: true });
try {
    // Once per home: the signing key, and the team's policy allowing AI
    // drafts (an admin's decision, journalled under their id).
    console.log('signing key:', ctx.keygen());
    ctx.teamSet('admin-1', 'cin-north', 'ai-draft', 'on');

    // The save hook: store what comes back (the stamped record) and send it
    // back, with the worker's edits, on the next save.
    const v1 = ctx.save(fs.readFileSync(formPath), { actor: worker }).toString('utf8');
    console.log('saved version 1');

    // Marking the record final while an AI draft is unreviewed is refused.
    const final = v1.replace('author="sw-017"', 'author="sw-017" final="true"');
    try {
        ctx.save(final, { actor: worker });
        throw new Error('an unreviewed AI draft was accepted on a final save');
    } catch (error) {
        if (!(error instanceof CaseScribeError) || error.codeName !== 'EREVIEW')
            throw error;
        console.log('final save refused, as it must be:', error.detail);
    }

    // The worker reviews the draft (here: edited it) and saves again; the
    // review is dated when it happens, after the draft was saved.
    const at = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    const reviewed = final.replace('origin="ai-draft"',
        `origin="ai-reviewed" reviewed-by="sw-017" reviewed-at="${at}" review="edited"`);
    const v2 = ctx.save(reviewed, { actor: worker }).toString('utf8');
    console.log('saved version 2 (final, reviewed)');

    // Anyone can check a record: with the home's keys, or offline with the
    // public key alone. A changed record fails with EVERIFY and a report.
    console.log(ctx.verify(v2));
    const pem = ctx.publicKey();
    verifyWithPublicKey(pem, v2);
    console.log('verified offline with the public key');
    try {
        verifyWithPublicKey(pem, v2.replace('family support worker', 'family friend'));
        throw new Error('a tampered record verified');
    } catch (error) {
        if (!(error instanceof CaseScribeError) || error.codeName !== 'EVERIFY')
            throw error;
        console.log('tampering caught:', error.report.split('\n').find((line) => /text changed/.test(line)).trim());
    }

    // A subject access request: stream the person's records into an export.
    const sar = ctx.sar({ subjectId: 'P-2', outputPath: zipPath, organisation: 'Northshire County Council' });
    try {
        sar.add(v2);
        console.log(sar.finish().text.trim());
    } finally {
        sar.close();
    }
    sarVerify(zipPath, pem);
    console.log('subject access export verified:', zipPath);
} finally {
    ctx.close();
}
