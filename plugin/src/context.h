/* SPDX-License-Identifier: Apache-2.0 */
/* context.h - what an open home holds. */
#ifndef CS_CONTEXT_H
#define CS_CONTEXT_H

#include <pthread.h>
#include <stdint.h>
#include <sys/types.h>

#include "casescribe.h"
#include "jobs/jobs.h"
#include "policy/policy.h"
#include "provenance/fingerprint.h"
#include "provenance/keys.h"
#include "store/store.h"

struct casescribe_ctx {
    char *home;
    uint32_t flags;
    cs_keyring *keys;           /* thread-safe by itself */
    cs_store *store;            /* the ledger and its indices; thread-safe by itself */
    uint8_t fp_secret[CS_FP_SECRET_LEN];
    pid_t pid;                  /* the process that opened it: a forked child must not use its store */
    /* Team policies as last read, each with the identity of its file, so
     * that a save rereads a policy only when its file changed. */
    pthread_mutex_t policy_lock;
    struct cs_cached_policy *policies;
    size_t n_policies;
    cs_jobs jobs;               /* work off the save path: network, engines */
    /* Form templates looked up so far (under policy_lock), for the save's
     * `never` rule: each read once, kept until the context closes, and each
     * id found to have no template remembered too, so that a save touches
     * no file for it. A template added while a context is open applies to
     * contexts opened after. */
    casescribe_template **templates;
    size_t n_templates;
    char **template_misses;
    size_t n_template_misses;
};

/* The template `id` (a reference: drop it with cs_template_unref), from the
 * context's cache or the home's templates/ and the installed ones. *out is
 * NULL, with OK, when there is no such template; an unreadable or invalid
 * template file is an error (ESCHEMA, EPARSE, EIO). Thread-safe. */
int32_t cs_ctx_template(casescribe_ctx *ctx, const char *id, casescribe_template **out);
/* Drops what the context remembers of template `id` (after an install). */
void cs_ctx_template_forget(casescribe_ctx *ctx, const char *id);

/* Under the policy lock file (see policy/api.c): makes `team`'s policy
 * match `target`'s features and settings, as one new signed version with
 * one audit entry per changed setting, naming `actor` and, when not 0, the
 * bundle `serial` it came from. *changed is 1 when a version was written. */
int32_t cs_ctx_policy_apply(casescribe_ctx *ctx, const cs_policy *target, const char *actor, uint64_t serial,
                            int *changed);
/* Takes and releases the lock file that serialises policy changes across
 * threads and processes. cs_ctx_lock_policies returns a descriptor or -1. */
int cs_ctx_lock_policies(casescribe_ctx *ctx);
void cs_ctx_unlock_policies(int fd);

/* The policy in force for `team`, from the cache or (when its file changed
 * or is new) from disk; a reference the caller drops with cs_policy_free.
 * EINVAL for a bad team name, ENOMEM, EIO. Thread-safe. */
int32_t cs_ctx_policy(casescribe_ctx *ctx, const char *team, cs_policy **out);
void cs_ctx_policies_free(casescribe_ctx *ctx);

/* What the ledger holds of `team`'s policy: the latest version journalled
 * (0 when none) and that version's digest ("" when unknown), read from the
 * store so that other processes' changes count. A file older than that is
 * never used (see policy/api.c). EIO, ENOMEM, EINTERNAL. */
int32_t cs_ctx_journalled_policy(casescribe_ctx *ctx, const char *team, uint32_t *version,
                                 char digest[CS_DIGEST_LEN]);
/* The same for bundles: the highest serial journalled (0 when none). */
int32_t cs_ctx_journalled_bundle(casescribe_ctx *ctx, uint64_t *serial, char digest[CS_DIGEST_LEN]);

/* Appends an entry that is not a save (a policy change, an audit of a
 * deletion) to the ledger, in a write transaction of its own, durable when
 * this returns OK. */
int32_t cs_ctx_journal_append(casescribe_ctx *ctx, json_t *entry);

/* After the store is open (keys_api.c): reads keys/fingerprint.secret,
 * refusing (EKEY, naming the recovery) to make a new one for a home whose
 * ledger holds fingerprints, or to use another than they were made with;
 * registers the keys of keys/ the key registry lacks; makes the registry
 * the keyring's fallback for keys keys/ does not hold. */
int32_t cs_ctx_open_keys(casescribe_ctx *ctx);
/* casescribe_keygen: the key made and its "key" ledger entry. */
int32_t cs_ctx_keygen(casescribe_ctx *ctx, int rotate, char **key_id_out);

/* The validity window of key `key_id` in the home's registry (*found 0
 * when the registry does not hold it): *from is its creation time when the
 * home made it (a "generate" or "rotate" entry; 0 for a key registered or
 * trusted later, whose making the ledger did not see), *until its
 * retirement by a rotation (0: in use). keys_api.c. */
int32_t cs_ctx_key_window(casescribe_ctx *ctx, const char *key_id, int64_t *from, int64_t *until, int *found);

/* The head the ledger holds for `record` (*found 0 when none), read in a
 * transaction of its own. */
int32_t cs_ctx_head(casescribe_ctx *ctx, const char *record, cs_store_head *head, int *found);
/* Whether `version` of `record` was abandoned in two-phase mode (*found),
 * likewise (confirm.c). */
int32_t cs_ctx_abandoned(casescribe_ctx *ctx, const char *record, uint32_t version, cs_store_abandon *a, int *found);
/* OK, or EIO naming the home when ctx was opened read-only (asked, or the
 * home not writable): called first by everything that writes to the home. */
int32_t cs_ctx_writable(const casescribe_ctx *ctx);
/* 1, with the thread's message set (EINVAL), when ctx was opened by
 * another process (the parent, before a fork): its key material and store
 * connections belong to that process. 0 when ctx may be used here. */
int cs_ctx_elsewhere(const casescribe_ctx *ctx);
/* The home folder `home` names (NULL or "": $CASESCRIBE_HOME, then
 * ~/.local/share/casescribe), malloc'd; NULL when none or out of memory. */
char *cs_ctx_resolve_home(const char *home);

/* 1 when `s` is a valid identifier for the form's id type ([A-Za-z0-9._:@/+-]{1,128}). */
int cs_valid_id(const char *s);

/* 1 when `s` is 1..max_chars characters of valid UTF-8 that XML can carry in
 * an attribute, with no control characters (tab and newline included), so
 * that free text from the host (an actor's role) can never make a stamped
 * record unreadable. */
int cs_valid_label(const char *s, size_t max_chars);

#endif
