/* SPDX-License-Identifier: Apache-2.0 */
/* policy.h - a team's feature policy: what AI a team may use.
 *
 * A policy is a signed file, <home>/policy/<team>.xml (urn:casescribe:policy:1,
 * schemas/policy-1.xsd). The signature is Ed25519 by a key of the home over
 * the C14N form, with comments, of the whole document without <signature>:
 * any hand edit, even of a comment, makes the file unusable. A team with no
 * file, or whose file does not verify, runs on the safe defaults: every AI
 * feature off, audio kept 0 days, the embedded engine, no external endpoint.
 *
 * A cs_policy is immutable once made: readers share it, and a change makes a
 * new one (see cs_policy_change), so that a reader sees one whole policy.
 */
#ifndef CS_POLICY_H
#define CS_POLICY_H

#include <libxml/tree.h>
#include <openssl/evp.h>
#include <stddef.h>
#include <stdint.h>

#include "provenance/keys.h"
#include "provenance/stamp.h"

#define CS_POLICY_NS "urn:casescribe:policy:1"

#define CS_FEATURE_TRANSCRIPTION 0x1u
#define CS_FEATURE_AI_DRAFT 0x2u
#define CS_FEATURE_EXTERNAL_AI 0x4u
#define CS_FEATURE_OBSERVATION_TAGS 0x8u

#define CS_POLICY_MAX_RETENTION_DAYS 365
#define CS_POLICY_MAX_ENDPOINTS 16
#define CS_POLICY_MAX_UNTEMPLATED 64
#define CS_POLICY_MAX_BYTES (64 * 1024)

typedef enum {
    CS_POLICY_DEFAULTS = 0, /* no policy file: the safe defaults */
    CS_POLICY_SIGNED,       /* a file whose signature verified */
    CS_POLICY_REFUSED       /* a file that did not verify: the safe defaults, and `problem` says why */
} cs_policy_state;

typedef struct cs_policy {
    char *team;
    cs_policy_state state;
    uint32_t version;        /* 0 for the defaults */
    uint32_t features;       /* CS_FEATURE_* switched on */
    uint32_t retention_days; /* audio kept after its transcript, 0..CS_POLICY_MAX_RETENTION_DAYS */
    int remote_engine;       /* 0: embedded (the default), 1: remote */
    char **endpoints;        /* allowed external base URLs (https) */
    size_t n_endpoints;
    char **untemplated;      /* form template ids AI text may be saved under without a template the home knows */
    size_t n_untemplated;
    char *changed_by, *changed_at, *key_id; /* NULL for the defaults */
    char digest[CS_DIGEST_LEN];             /* of the signed file; "" for the defaults */
    char *problem;                          /* CS_POLICY_REFUSED: why */
    int refs;                               /* holders; see cs_policy_ref */
} cs_policy;

/* The safe defaults for `team` (any name of 1-128 characters: a team whose
 * name cannot name a file can have no policy file, so runs on these).
 * Every policy is made with one reference. */
int32_t cs_policy_defaults(cs_policy **out, const char *team);
/* Takes another reference (a policy is shared between a cache and the
 * saves reading it); cs_policy_free drops one and frees with the last. */
cs_policy *cs_policy_ref(cs_policy *p);
void cs_policy_free(cs_policy *p);

/* 1 when `team` is a team id: the rule of every id ([A-Za-z0-9._:@/+-]{1,128},
 * cs_valid_id), the same for a form's team, an actor's and a policy's, so
 * that every team a form can name can have a policy. */
int cs_policy_valid_team(const char *team);

/* Room for a policy file's name without ".xml" (cs_policy_path escapes '/',
 * a leading '.' and the name "bundle" as %XX). */
#define CS_POLICY_STEM_MAX (3 * 128 + 1)
/* The team whose policy file is named `stem` (".xml" removed) into `team`;
 * 1 when it is the name cs_policy_path gives that team, else 0. */
int cs_policy_team_of_file(char team[129], const char *stem);

/* Reads a policy file's bytes for `team`: parse (hardened), validate, check
 * the team and the signature with `keys`. EPARSE, ESCHEMA, EVERIFY (bad
 * signature, another team, a key the home does not know), ENOMEM. */
int32_t cs_policy_read(cs_policy **out, const char *team, const uint8_t *buf, size_t len, cs_keyring *keys);

/* The policy in force for `team` on `home`: the file when it verifies, else
 * the defaults (state DEFAULTS when there is no file, REFUSED with the
 * reason when it does not verify). Fails only with EINVAL, ENOMEM or EIO. */
int32_t cs_policy_load(cs_policy **out, const char *home, const char *team, cs_keyring *keys);

/* <home>/policy/<team>.xml into out (n bytes), with the team's name escaped
 * so that it names one file inside the folder. EINVAL for a bad team. */
int32_t cs_policy_path(char *out, size_t n, const char *home, const char *team);

/* A feature's bit from its name ("ai-draft"), 0 when unknown; and back. */
uint32_t cs_policy_feature_bit(const char *name);
const char *cs_policy_feature_name(uint32_t bit);

/* The value of setting or feature `key` as text ("on", "0", "embedded",
 * endpoints space-separated), malloc'd. ENOTFOUND for an unknown key. */
int32_t cs_policy_get(char **value, const cs_policy *p, const char *key);

/* A copy of `cur` with `key` set to `value`, as the next version, changed by
 * `actor` at `at`, unsigned. Keys: each feature ("on"|"off"),
 * "audio-retention-days" (0..365), "engine" ("embedded"|"remote"),
 * "endpoints" (space-separated https base URLs, "" for none),
 * "allow-without-template" (space-separated form template ids). EINVAL with a
 * message for an unknown key or a value out of range. */
int32_t cs_policy_change(cs_policy **out, const cs_policy *cur, const char *key, const char *value,
                         const char *actor, const char *at);

/* Renders `p` as a policy file signed with `key` (id `key_id`); sets
 * p->key_id, p->digest and p->state. The file is checked against the
 * schema before it is signed. */
int32_t cs_policy_sign(uint8_t **out, size_t *out_len, cs_policy *p, EVP_PKEY *key, const char *key_id);

/* ---- shared by policy files and bundles (policy.c) ----------------------
 * Both are urn:casescribe:policy:1 documents, signed the same way: Ed25519
 * over the C14N form, with comments, of the document without <signature>. */

/* Validates against the embedded policy-1.xsd. ESCHEMA, ENOMEM. */
int32_t cs_policy_xml_validate(xmlDocPtr doc);
/* 1 when `root` is the element `name` of the policy namespace. */
int cs_policy_xml_is(xmlNodePtr root, const char *name);
/* An attribute's value (malloc'd), NULL when absent or out of memory. */
char *cs_policy_xml_attr(xmlNodePtr n, const char *name);
/* Reads the features, retention, engine and endpoints under `node` into p.
 * 0, or -1 out of memory. `node` must have been validated. */
int cs_policy_xml_settings(cs_policy *p, xmlNodePtr node);
/* Checks the <signature> of a validated document's root with a key of
 * `keys` and removes it from `doc`; the signed digest into `digest` and the
 * key id into *key_id_out (may be NULL). EVERIFY says what failed, naming
 * the document as `what`. */
int32_t cs_policy_xml_check_signature(xmlDocPtr doc, cs_keyring *keys, const char *what, char digest[CS_DIGEST_LEN],
                                      char **key_id_out);
/* Adds a <signature> by `key` to `doc`'s root, validates the result and
 * renders it (malloc'd); the signed digest into `digest`. */
int32_t cs_policy_xml_sign(uint8_t **out, size_t *out_len, char digest[CS_DIGEST_LEN], xmlDocPtr doc, EVP_PKEY *key,
                           const char *key_id);

/* 1 when the policy lists `template_id` under "allow-without-template". */
int cs_policy_allows_untemplated(const cs_policy *p, const char *template_id);

/* For a job on the remote engine: the endpoint it may use, copied into
 * `out` (cap bytes): `asked` when the policy's allow-list has it, else
 * (asked NULL) the first the policy allows. EPOLICY, naming the team, when
 * there is none: nothing may be sent. */
int32_t cs_policy_pick_endpoint(char *out, size_t cap, const cs_policy *p, const char *asked);

#endif
