/* SPDX-License-Identifier: Apache-2.0 */
/*
 * casescribe.h - the public interface of libcasescribe.
 *
 * CaseScribe sits behind a case management system's "save" button. The host
 * hands each save of a form to casescribe_save(); the library checks the
 * consent recorded on the form, refuses AI text that nobody has reviewed on a
 * final save, refuses AI text passed off as the worker's own, and stamps the
 * record with signed, chained provenance that anyone can check offline with
 * casescribe_verify_with_public_key().
 *
 * Conventions (they hold for every function below unless its comment says
 * otherwise):
 *
 *  - Functions that can fail return an int32_t status: CASESCRIBE_OK (0) or a
 *    negative CASESCRIBE_E* code. On failure a message for people is kept per
 *    thread: read it with casescribe_last_error() on the same thread, before
 *    the next call into the library.
 *  - Outputs come first in the argument list, as pointers. On failure they
 *    are set to NULL / 0.
 *  - Memory the library returns through an output (char **, uint8_t **) is
 *    the caller's and is released with casescribe_free(). Strings returned
 *    directly as `const char *` are borrowed: they belong to the object they
 *    were read from and live as long as it does.
 *  - Strings passed in are UTF-8, NUL-terminated, copied if kept.
 *  - Handles are opaque. casescribe_X_free(NULL) / _close(NULL) do nothing.
 *  - Nothing here exits, aborts or changes process-wide state (locale,
 *    signal handlers, libxml2 or OpenSSL global settings).
 *
 * Status codes and flags are plain #defines that are never renumbered. For
 * languages that cannot read C macros, casescribe_constant() returns each of
 * them by name.
 */
#ifndef CASESCRIBE_H
#define CASESCRIBE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) && __GNUC__ >= 4
#define CASESCRIBE_EXTERN __attribute__((visibility("default")))
#else
#define CASESCRIBE_EXTERN
#endif

/* ------------------------------------------------------------------------
 * Versions
 * ------------------------------------------------------------------------ */

/* The version of this header, MAJOR.MINOR.PATCH (plugin/doc/versioning.md):
 * release 1.N.0 is the one that introduced symbol node CASESCRIBE_1.N, a
 * patch release changes no interface, and MAJOR changes only when the binary
 * interface breaks. The library you run against may be newer: ask it with
 * casescribe_version() or casescribe_version_info(). */
#define CASESCRIBE_VERSION_MAJOR 1
#define CASESCRIBE_VERSION_MINOR 7
#define CASESCRIBE_VERSION_PATCH 0
#define CASESCRIBE_VERSION_STRING "1.7.0"
/* The version as one number, 0xMMmmpp (1.7.0 is 0x010700), for #if. */
#define CASESCRIBE_VERSION_NUM 0x010700
/* True when this header is version x.y.z or later, for example
 * #if CASESCRIBE_AT_LEAST_VERSION(1, 7, 0). */
#define CASESCRIBE_AT_LEAST_VERSION(x, y, z) (CASESCRIBE_VERSION_NUM >= (((x) << 16) | ((y) << 8) | (z)))
/* The ABI generation: bumped only when the binary interface breaks, together
 * with CASESCRIBE_VERSION_MAJOR, which it equals. It is not the SONAME's
 * number: generation 1 is the interface of libcasescribe.so.0 (libtool's
 * -version-info C:R:A names the file .so.(C-A), which stays 0 while
 * functions are only added). */
#define CASESCRIBE_ABI_VERSION 1

/* Marks a function that a later release will remove (see "Deprecation" in
 * plugin/doc/versioning.md): compilers then warn where it is called, with
 * `msg` (what to call instead). A deprecated function keeps working, with
 * its symbol, until the next MAJOR release. Define
 * CASESCRIBE_NO_DEPRECATION_WARNINGS to silence the warnings. */
#if defined(CASESCRIBE_NO_DEPRECATION_WARNINGS)
#define CASESCRIBE_DEPRECATED(msg)
#elif defined(__GNUC__) && (__GNUC__ > 4 || (__GNUC__ == 4 && __GNUC_MINOR__ >= 5))
#define CASESCRIBE_DEPRECATED(msg) __attribute__((deprecated(msg)))
#elif defined(_MSC_VER)
#define CASESCRIBE_DEPRECATED(msg) __declspec(deprecated(msg))
#else
#define CASESCRIBE_DEPRECATED(msg)
#endif

/* The library's version, for example "1.7.0". Static storage; any thread. Since 1.0. */
CASESCRIBE_EXTERN const char *casescribe_version(void);

/* The ABI generation of the library, CASESCRIBE_ABI_VERSION when it was
 * built. A binding checks it once at load time. Any thread. Since 1.0. */
CASESCRIBE_EXTERN uint32_t casescribe_abi_version(void);

/* What a build of the library can do (casescribe_library_info.features). */
#define CASESCRIBE_FEATURE_EMBEDDED_ENGINE 0x1u  /* transcription on this machine (pocketsphinx, casescribe-asr) */
#define CASESCRIBE_FEATURE_REMOTE_ENGINES 0x2u   /* remote transcription and drafting services over HTTPS */
#define CASESCRIBE_FEATURE_STORE_SQLITE 0x4u     /* the ledger in SQLite (ledger.db in the home) */
#define CASESCRIBE_FEATURE_STORE_POSTGRESQL 0x8u /* the ledger in a PostgreSQL server (built with libpq) */
#define CASESCRIBE_FEATURE_ADAPTER_XML 0x10u     /* the built-in "xml" adapter: the reference form */
#define CASESCRIBE_FEATURE_ADAPTER_FHIR 0x20u    /* the built-in "fhir" adapter: HL7 FHIR R4 Bundles */

/* The running library's version and features, for casescribe_version_info().
 * Fields are only ever appended; struct_size says which ones were filled. */
typedef struct casescribe_library_info {
    uint32_t struct_size; /* set by the library: the bytes of this struct it filled */
    uint32_t major;       /* the library's CASESCRIBE_VERSION_MAJOR, MINOR and PATCH */
    uint32_t minor;
    uint32_t patch;
    uint32_t version_num; /* its CASESCRIBE_VERSION_NUM */
    uint32_t abi_version; /* its CASESCRIBE_ABI_VERSION */
    uint32_t features;    /* CASESCRIBE_FEATURE_* of this build; flags are only ever added */
} casescribe_library_info;

/* Fills `info` with the running library's version and what it was built
 * with (a host built against an older header learns the newer library's
 * version from it; a host checks a feature before offering it). Pass
 * sizeof(casescribe_library_info) as struct_size: fields beyond it are not
 * written, and info->struct_size is set to the bytes filled. Errors: EINVAL
 * (NULL info, struct_size smaller than the first version of the struct).
 * Any thread. Since 1.7. */
CASESCRIBE_EXTERN int32_t casescribe_version_info(casescribe_library_info *info, uint32_t struct_size);

/* ------------------------------------------------------------------------
 * Status codes. Never renumbered; new ones are only appended.
 * ------------------------------------------------------------------------ */
#define CASESCRIBE_OK 0
#define CASESCRIBE_EINVAL (-1)     /* a NULL or out-of-range argument */
#define CASESCRIBE_ENOMEM (-2)     /* an allocation failed */
#define CASESCRIBE_EIO (-3)        /* a file in the home could not be read or written */
#define CASESCRIBE_EPARSE (-4)     /* the payload is not well-formed or is hostile (DOCTYPE, entities, too deep, too big, bad UTF-8) */
#define CASESCRIBE_ESCHEMA (-5)    /* well-formed, but not a valid form (unknown element or attribute, missing field) */
#define CASESCRIBE_ECONSENT (-6)   /* AI text without consent that covers it */
#define CASESCRIBE_EREVIEW (-7)    /* a final save with AI text nobody has reviewed, or an incomplete review */
#define CASESCRIBE_ELAUNDER (-8)   /* a "human" section matches text an AI drafted */
#define CASESCRIBE_EKEY (-9)       /* no signing key, an unsafe key file or home folder, or an unknown key id */
#define CASESCRIBE_EVERIFY (-10)   /* a stamp does not verify: the record was changed after signing */
#define CASESCRIBE_EJOURNAL (-11)  /* the journal (ledger) is corrupt, of a newer schema, or not importable */
#define CASESCRIBE_ENOTFOUND (-12) /* no such adapter, entry or file */
#define CASESCRIBE_ECONFLICT (-13) /* the record was saved by someone else since this copy was made */
#define CASESCRIBE_ETOOBIG (-14)   /* an input is larger than the library accepts */
#define CASESCRIBE_EUNSTAMPED (-15) /* verify was asked of a record that carries no provenance */
#define CASESCRIBE_EINTERNAL (-16) /* a bug or an unexpected library failure: please report it */
#define CASESCRIBE_EPOLICY (-17)   /* the team's AI policy refuses it (a feature off, an unknown template) or the never rule */
#define CASESCRIBE_ENETWORK (-18)  /* a network call failed: no connection, certificate refused, timeout, HTTP error */
#define CASESCRIBE_EBUSY (-19)     /* a job has not ended yet */
#define CASESCRIBE_ECANCELLED (-20) /* a job was cancelled (by the host, or by closing its context) */
#define CASESCRIBE_EAUDIO (-21)    /* a recording cannot be used: not audio, corrupt, truncated, empty or silent */
#define CASESCRIBE_EUNTRUSTED (-22) /* everything matches, but only a key that came with the data vouches for it:
                                       no trusted key was given, so nothing shows who sealed it (since 1.6) */

/* A short, static description of a status code ("consent does not cover AI
 * text"). Never NULL; unknown codes give "unknown status". Any thread. Since 1.0. */
CASESCRIBE_EXTERN const char *casescribe_strerror(int32_t status);

/* The message of the last failure on the calling thread, naming what failed
 * (a section id, an attribute, a file). Never NULL ("" when there is none).
 * Borrowed: valid until this thread's next call into the library. Since 1.0. */
CASESCRIBE_EXTERN const char *casescribe_last_error(void);

/* Releases memory the library returned through an output argument.
 * casescribe_free(NULL) does nothing. Any thread. Since 1.0. */
CASESCRIBE_EXTERN void casescribe_free(void *ptr);

/* The value of a public #define by its name without the prefix, for example
 * "EVERIFY" or "OPEN_CREATE", so that bindings need not copy numbers.
 * Returns CASESCRIBE_OK, or CASESCRIBE_ENOTFOUND for an unknown name.
 * Any thread. Since 1.0. */
CASESCRIBE_EXTERN int32_t casescribe_constant(int64_t *value_out, const char *name);

/* ------------------------------------------------------------------------
 * Limits
 * ------------------------------------------------------------------------ */
/* Largest payload accepted by save, verify and record_open, in bytes. */
#define CASESCRIBE_MAX_PAYLOAD (8u * 1024u * 1024u)
/* Deepest element nesting accepted in an XML payload. */
#define CASESCRIBE_MAX_XML_DEPTH 32u
/* How far, in seconds, a section's reviewed-at may lie after the time of
 * the save that records the review (the host's clock and the library's may
 * disagree a little): a later review time is refused (EREVIEW). */
#define CASESCRIBE_REVIEW_CLOCK_SKEW 300u
/* How far, in seconds, the clock may go back between saves (since 1.6): a
 * save whose time is earlier than the time of the record's version before
 * it, or than the time of the ledger's last signed checkpoint (the time of
 * the home's latest commit, by the store's clock), by more than this is
 * refused with ECONFLICT and a message naming both times. (A save later
 * than the last checkpoint is normal: a home can be quiet for months.) */
#define CASESCRIBE_CLOCK_SKEW 300u

/* ------------------------------------------------------------------------
 * Context
 *
 * A context is one open home folder: the signing keys (keys/), the journal
 * (the ledger: ledger.db, an SQLite database), the team policies (policy/),
 * and the jobs running for it. Several servers of a council may instead
 * share one ledger in PostgreSQL: the home names that store in
 * casescribe.conf (see casescribe_store_admin() and
 * plugin/doc/deployment.md); each keeps its own key in its own home.
 * Open one per process and share it: every function taking a context may be
 * called from many threads at once, and several processes may open the
 * same home. A context does not cross fork(): a child process opens its own
 * (a save through the parent's context in a child fails with EINVAL).
 * ------------------------------------------------------------------------ */
typedef struct casescribe_ctx casescribe_ctx;

/* Flags for casescribe_ctx_options.flags */
#define CASESCRIBE_OPEN_CREATE 0x1u  /* create the home folder if it is missing */
#define CASESCRIBE_OPEN_NO_SYNC 0x2u /* ledger with synchronous=OFF: benchmarks and tests ONLY;
                                        a crash may then lose acknowledged saves */
#define CASESCRIBE_OPEN_READ_ONLY 0x4u /* open without writing anything to the home (a backup, a snapshot,
                                          an auditor's copy): verify, journal verify and the public key
                                          work; a save, keygen or policy change fails with EIO. Implied
                                          when the home folder is not writable (mode, read-only mount);
                                          needed as root, whom mode bits do not stop. Since 1.6. */
#define CASESCRIBE_OPEN_TWO_PHASE 0x8u /* two-phase saves with the host's database: a version the
                                          host never confirmed may be superseded (see
                                          casescribe_save_confirm()). Since 1.6 */

/* Options for casescribe_ctx_open(). Always fill it with
 * casescribe_ctx_options_init() first: new fields are only ever appended, and
 * struct_size tells the library which fields your build knows. */
typedef struct casescribe_ctx_options {
    uint32_t struct_size; /* sizeof(casescribe_ctx_options), set by _init */
    uint32_t flags;       /* CASESCRIBE_OPEN_* */
    const char *home;     /* the home folder; NULL means $CASESCRIBE_HOME, then
                             $HOME/.local/share/casescribe */
} casescribe_ctx_options;

/* Sets every field of `opts` to its default and struct_size to `struct_size`.
 * Pass sizeof(casescribe_ctx_options). Returns CASESCRIBE_EINVAL when
 * struct_size is smaller than the first version of the struct or larger than
 * this library knows. Any thread. Since 1.0. */
CASESCRIBE_EXTERN int32_t casescribe_ctx_options_init(casescribe_ctx_options *opts, uint32_t struct_size);

/* Opens the home named by `opts` (NULL: all defaults). Reads the public keys
 * and opens the ledger (<home>/ledger.db, created 0600) in constant time: it
 * reads no entries, so opening costs the same and takes the same memory
 * however long the ledger is. A home from an older library with a
 * journal.log is imported once, on its first open: the whole file is checked
 * first (a damaged one is refused with EJOURNAL naming the entry, and nothing
 * is imported), then copied entry for entry (same bytes, same hashes) and
 * kept read-only as journal.log.imported. The home must exist unless
 * CASESCRIBE_OPEN_CREATE is set; new folders are made 0700. A home whose
 * folder is not writable, or CASESCRIBE_OPEN_READ_ONLY, opens read-only:
 * nothing is created or written there. Every later call that reads or
 * writes the ledger first checks that <home>/ledger.db is still the file
 * opened here: one replaced, moved or deleted under the process (a restore,
 * a rotation) fails that call with EJOURNAL, writing nothing; close and
 * reopen the context once the right ledger is in place.
 * Errors: EINVAL, ENOMEM, EIO (home missing or unreadable, the database
 * cannot be opened), EKEY (a private key file others can read, or a home,
 * keys/ or policy/ folder that group or others may write to: whoever can
 * write there can swap the keys, the policies or the ledger; `chmod go-w`
 * it; or keys/fingerprint.secret missing, or another than the one they
 * were made with, in a home whose ledger holds fingerprints: restore it
 * from the backup of the keys, it is never silently recreated), EJOURNAL
 * (a ledger of a newer schema, a damaged journal.log to import).
 * On success *ctx_out is yours: close it with casescribe_ctx_close().
 * Any thread. Since 1.0. */
CASESCRIBE_EXTERN int32_t casescribe_ctx_open(casescribe_ctx **ctx_out, const casescribe_ctx_options *opts);

/* Closes a context. No other thread may be using it. NULL does nothing. Since 1.0. */
CASESCRIBE_EXTERN void casescribe_ctx_close(casescribe_ctx *ctx);

/* The home folder the context opened. Borrowed from ctx. Any thread. Since 1.0. */
CASESCRIBE_EXTERN const char *casescribe_ctx_home(const casescribe_ctx *ctx);

/* ------------------------------------------------------------------------
 * Keys
 * ------------------------------------------------------------------------ */
#define CASESCRIBE_KEYGEN_ROTATE 0x1u /* replace an existing signing key; the old
                                         public key is kept so old records verify */

/* Makes an Ed25519 signing key in the home: keys/<key-id>.key (0600) and
 * keys/<key-id>.pub, and makes it the current key, recorded in the ledger
 * (a "key" entry, "generate" or "rotate": see casescribe_keys_export()). Without
 * CASESCRIBE_KEYGEN_ROTATE it fails with EKEY when a key exists already.
 * *key_id_out (may be NULL) receives the new key id; free it with
 * casescribe_free(). Errors: EINVAL, ENOMEM, EIO, EKEY. Any thread; saves
 * running at the same time sign with either the old or the new key. Since 1.0. */
CASESCRIBE_EXTERN int32_t casescribe_keygen(char **key_id_out, casescribe_ctx *ctx, uint32_t flags);

/* The current public key as a PEM (SubjectPublicKeyInfo) string, to give to
 * anyone who should verify records offline. Free with casescribe_free().
 * Errors: EINVAL, ENOMEM, EKEY (no key yet). Any thread. Since 1.0. */
CASESCRIBE_EXTERN int32_t casescribe_public_key(char **pem_out, casescribe_ctx *ctx);

/* The fingerprint of an Ed25519 public key given as a PEM (for example
 * from casescribe_public_key()), for a council to publish on its website
 * and in its letters so that anyone can tell its key from a forger's: the
 * SHA-256 of the key's DER SubjectPublicKeyInfo as 64 lowercase hex digits
 * in 16 groups of four, "3f2a 9c41 ...", the same digits as
 * `openssl pkey -pubin -in KEY.pem -outform DER | sha256sum`. Free
 * *fingerprint_out with casescribe_free(). Errors: EINVAL (NULL argument),
 * EKEY (not an Ed25519 public key in PEM form), ENOMEM. Needs no context;
 * any thread. Since 1.6. */
CASESCRIBE_EXTERN int32_t casescribe_public_key_fingerprint(char **fingerprint_out, const uint8_t *pubkey_pem,
                                                            size_t pubkey_len);

/* The key registry. Every key the home has signed with, each rotation, and
 * each key of another server the council trusts is an entry of kind "key"
 * in the ledger (action "generate", "rotate" naming the key it retires,
 * "register" for a key found in keys/ that the registry lacked: a home made
 * before the registry, on its first open; or "trust"; with the key id, the
 * public key, the time and the actor: never a secret), and a row of the
 * registry. casescribe_verify() finds there a key keys/ does not hold, so
 * records signed by a trusted server verify here; a record signed by a key
 * in neither is refused (EKEY). */
#define CASESCRIBE_KEYS_LIST 0x1u /* one line per key, no PEM */
#define CASESCRIBE_KEYS_HOME 0x2u /* only the home's own keys, not trusted ones */

/* The registry, oldest key first, as text in *out (free with
 * casescribe_free()). By default a bundle an auditor can keep: per key,
 * comment lines "# key <id>", "# <origin> created <time> in-use" (or
 * "retired <time>"), "# ledger-entry <n>" and the public key PEM; origin is
 * "home" or "trusted", times UTC ISO 8601. casescribe_verify_with_public_key()
 * and `casescribe verify --pubkey` take such a bundle, so that records signed
 * before a rotation verify. CASESCRIBE_KEYS_LIST: one line per key,
 * "<id> <origin> created <time> in-use|retired <time> ledger-entry <n>".
 * CASESCRIBE_KEYS_HOME: only the keys this home signed with (EKEY when it
 * has none yet). Errors: EINVAL (NULL argument, unknown flag), ENOMEM, EIO,
 * EKEY. Any thread. Since 1.6. */
CASESCRIBE_EXTERN int32_t casescribe_keys_export(char **out, casescribe_ctx *ctx, uint32_t flags);

/* Trusts the Ed25519 public key(s) of another server of the council: a PEM,
 * or a bundle from that server's casescribe_keys_export() (every key of its
 * history). Each key not yet in the registry gets a "key" entry (action
 * "trust", naming `actor_id`); a key held already is left as it is. Records
 * those keys signed then verify in this home. *key_ids_out (may be NULL)
 * gets the ids of the keys in the PEM, one per line; free it with
 * casescribe_free(). Errors: EINVAL (NULL ctx or pem, a bad actor id, a PEM
 * over 1 MiB, a context from before a fork), EKEY (a block that is not an
 * Ed25519 public key, or none), ENOMEM, EIO. Any thread. Since 1.6. */
CASESCRIBE_EXTERN int32_t casescribe_key_trust(char **key_ids_out, casescribe_ctx *ctx, const char *actor_id,
                                               const uint8_t *pem, size_t pem_len);

/* ------------------------------------------------------------------------
 * Saving
 * ------------------------------------------------------------------------ */

/* Who is saving. Fill with casescribe_actor_init() first. The strings are
 * borrowed for the duration of the call only. */
typedef struct casescribe_actor {
    uint32_t struct_size; /* sizeof(casescribe_actor), set by _init */
    uint32_t reserved;    /* must be 0 */
    const char *user_id;  /* required: the person's id in the host system */
    const char *team;     /* the actor's team; NULL: the form's team. When another team than the
                             form's, AI text needs its features on in both teams' policies */
    const char *role;     /* for example "social-worker"; NULL: "unspecified" */
} casescribe_actor;

/* Sets defaults (all NULL) and struct_size. Returns EINVAL for a size this
 * library does not know. Any thread. Since 1.0. */
CASESCRIBE_EXTERN int32_t casescribe_actor_init(casescribe_actor *actor, uint32_t struct_size);

/* Saves one form through the adapter named `adapter` ("xml": the reference
 * form urn:casescribe:form:1, see schemas/form-1.xsd; "fhir": an HL7 FHIR R4
 * Bundle; or one the host registered, see "Adapters" below).
 *
 * The steps, in this order: decode and validate the payload; apply the
 * team's policy (an AI section needs "ai-draft" on for the form's team, and
 * "external-ai" too when its engine is not one of the library's own; AI text
 * the previous version already held stays); check consent for every AI
 * section (fail closed), and refuse a version that drops or changes a
 * consent entry or withdrawal of the version it follows, or removes a
 * subject from a record holding AI text (ECONSENT); on a final save, refuse
 * AI text nobody has reviewed, and any new review dated before the draft
 * first appeared in the record (for a new draft: before the consent in
 * force) or after the save plus CASESCRIBE_REVIEW_CLOCK_SKEW (EREVIEW);
 * refuse "human" sections that copy AI text (the previous
 * version's AI sections, the AI sections beside them, any AI text drafted
 * on this home) and AI text whose engine or model was changed; stamp (digests, chain to
 * the previous version, Ed25519 signature); append to the journal and commit
 * it durably (one transaction of the ledger holds the laundering check, the
 * chain to the record's head, the entry and its index rows: the save is
 * acknowledged only after that commit); encode the stamped payload. An AI section whose text comes
 * from an AI section of the previous version keeps that version's engines
 * in its stamp (every engine that ever drafted it). The save never waits
 * for AI work.
 *
 * On success *out / *out_len hold the stamped payload: store it as the
 * record, and send it back unchanged (but for your edits) on the next save,
 * since its provenance chains the versions. Free *out with casescribe_free().
 * Sending the same save again (same payload, same actor) after the reply
 * was lost gives back the same stamped bytes, without a second journal
 * entry; a repeat cannot be remade once the signing key has been rotated.
 * Errors: EINVAL, ENOMEM, ETOOBIG, EPARSE, ESCHEMA, ENOTFOUND (adapter),
 * EPOLICY, ECONSENT, EREVIEW, ELAUNDER, EKEY, EVERIFY (the incoming provenance was
 * altered), ECONFLICT (a newer version was saved meanwhile), EJOURNAL, EIO.
 * Nothing is journalled when a save fails. Any thread. Since 1.0. */
CASESCRIBE_EXTERN int32_t casescribe_save(uint8_t **out, size_t *out_len, casescribe_ctx *ctx,
                                          const char *adapter, const casescribe_actor *actor,
                                          const uint8_t *payload, size_t payload_len);

/* ------------------------------------------------------------------------
 * Two-phase saves with the host's database (since 1.6)
 *
 * casescribe_save() commits a version to the ledger before the host commits
 * the stamped payload to its own database. When the host's commit then
 * fails, the ledger holds a version the host never stored, and the record
 * would be stuck: the next edit, made from the copy the host does hold,
 * follows an older version (ECONFLICT). The pattern that avoids this:
 *
 *   1. open the context with CASESCRIBE_OPEN_TWO_PHASE;
 *   2. out = casescribe_save(...)            the new version is PENDING;
 *   3. commit `out` in the host's database;
 *   4. on success, casescribe_save_confirm(ctx, adapter, out, out_len):
 *      a "confirm" ledger entry; the version (and every earlier one) is
 *      CONFIRMED. On failure, do nothing: keep the copy you still hold.
 *
 * In two-phase mode a save whose copy follows the record's last confirmed
 * version (or, for a record never confirmed, a form without provenance),
 * while newer versions were never confirmed, supersedes them: in the same
 * ledger transaction it journals an "abandoned" entry (record, the first
 * and last abandoned version, the last one's digest, the confirmed version
 * kept, the actor and time) and then the new version, chained to the
 * confirmed one and numbered after the abandoned ones (a version number is
 * never used twice: v1 confirmed, v2 abandoned, v3 follows v1). Nothing is
 * forked silently: the ledger says which versions were dropped, by whom,
 * when. A save sent again after a lost reply, while its version is still
 * unconfirmed, supersedes it likewise (in two-phase mode it is not
 * answered with the same bytes). A copy that follows an abandoned version
 * is refused (ECONFLICT, naming the abandonment); casescribe_verify() and
 * SAR exports of an abandoned copy say it was abandoned.
 *
 * Without CASESCRIBE_OPEN_TWO_PHASE nothing changes: every version counts
 * as kept, a stale copy is ECONFLICT, and confirmations (allowed in either
 * mode) are only recorded. A host may mix modes per process; only saves
 * made through a two-phase context supersede.
 * ------------------------------------------------------------------------ */

/* Confirms that the host committed the stamped version `payload` carries
 * (the bytes casescribe_save() returned, decoded by `adapter`): its
 * signature is checked with the home's keys (current and rotated), then a
 * "confirm" entry (record id, version, record digest, time) is committed
 * durably. Confirming a version confirms every earlier one; confirming a
 * version already confirmed (or older) writes nothing and returns OK.
 * Errors: EINVAL, ENOMEM, decode errors, EUNSTAMPED (no provenance), EKEY
 * (signed by a key this home does not know), EVERIFY (the provenance was
 * altered), ENOTFOUND (this home holds no such version of the record: an
 * unknown record, a later version number, or another digest under that
 * number), ECONFLICT (the version was abandoned), EJOURNAL, EIO. Any
 * thread; a record may be saved and confirmed from different threads. Since 1.6. */
CASESCRIBE_EXTERN int32_t casescribe_save_confirm(casescribe_ctx *ctx, const char *adapter, const uint8_t *payload,
                                                  size_t payload_len);

/* Where record `record_id` stands in the ledger, for a host reconciling
 * after a crash: *version_out the latest version stamped (pending or not),
 * *confirmed_out the last version confirmed (0: none; the latest is
 * confirmed when both are equal), *digest_out the latest version's record
 * digest "sha256:<hex>" (as casescribe_journal_entry_record_digest() gives;
 * free it with casescribe_free()). Any output may be NULL. If your database
 * holds the latest version, confirm it; if it holds the confirmed one, the
 * next save from it supersedes the rest (two-phase mode). Errors: EINVAL,
 * ENOMEM, ENOTFOUND (no version of that record here), EJOURNAL, EIO. Any
 * thread. Since 1.6. */
CASESCRIBE_EXTERN int32_t casescribe_record_head(uint32_t *version_out, uint32_t *confirmed_out, char **digest_out,
                                                 casescribe_ctx *ctx, const char *record_id);

/* ------------------------------------------------------------------------
 * Verifying
 * ------------------------------------------------------------------------ */

/* Checks a stamped payload with the home's public keys (current and
 * rotated): the signature, the digest of the whole form and of each section,
 * the consent state and the subjects. Returns CASESCRIBE_OK when everything
 * matches, CASESCRIBE_EVERIFY when anything differs (the report says what),
 * CASESCRIBE_EUNSTAMPED when there is no provenance, EKEY for an unknown key
 * id, or a decode error. *report_out (may be NULL) receives a plain-English
 * report either way (when one could be made); free it with casescribe_free().
 * The report names every engine that drafted each AI section (those of
 * earlier versions too). When the home's journal holds a newer version of
 * the record, the record still verifies (OK: it is a genuine version), and
 * the report says "Older version: the latest this home knows is version N".
 * Reads the keys and the home's journal: no network. Any thread. Since 1.0. */
CASESCRIBE_EXTERN int32_t casescribe_verify(char **report_out, casescribe_ctx *ctx, const char *adapter,
                                            const uint8_t *payload, size_t payload_len);

/* The same check with a public key alone (a PEM from casescribe_public_key()),
 * or a bundle of keys (casescribe_keys_export(): a home's whole key
 * history, so that records signed before a rotation verify), at most 1 MiB,
 * for auditors who have no home. Returns as casescribe_verify(); EKEY when
 * the record was signed by another key. Any thread. Since 1.0. */
CASESCRIBE_EXTERN int32_t casescribe_verify_with_public_key(char **report_out, const char *adapter,
                                                            const uint8_t *pubkey_pem, size_t pubkey_len,
                                                            const uint8_t *payload, size_t payload_len);

/* ------------------------------------------------------------------------
 * Inspecting a record without parsing it yourself
 * ------------------------------------------------------------------------ */
typedef struct casescribe_record casescribe_record;

/* Decodes a payload (stamped or not) into a read-only record. This does not
 * verify it: call casescribe_verify() for that. Free with
 * casescribe_record_free(). Errors: EINVAL, ENOMEM, ETOOBIG, EPARSE, ESCHEMA,
 * ENOTFOUND (adapter). Any thread; a record may be read from several threads. Since 1.0. */
CASESCRIBE_EXTERN int32_t casescribe_record_open(casescribe_record **record_out, const char *adapter,
                                                 const uint8_t *payload, size_t payload_len);
CASESCRIBE_EXTERN void casescribe_record_free(casescribe_record *record);

/* Getters. Strings are borrowed from the record; NULL when the field is
 * absent or the index is out of range. Since 1.0. */
CASESCRIBE_EXTERN const char *casescribe_record_id(const casescribe_record *record);
CASESCRIBE_EXTERN const char *casescribe_record_team(const casescribe_record *record);
CASESCRIBE_EXTERN const char *casescribe_record_author(const casescribe_record *record);
/* 1 when the form is marked final, 0 otherwise. Since 1.0. */
CASESCRIBE_EXTERN int32_t casescribe_record_is_final(const casescribe_record *record);
/* The stamped version number (1, 2, ...), or 0 when not stamped. Since 1.0. */
CASESCRIBE_EXTERN uint32_t casescribe_record_version(const casescribe_record *record);
/* The key id that signed the record, or NULL when not stamped. Since 1.0. */
CASESCRIBE_EXTERN const char *casescribe_record_key_id(const casescribe_record *record);
/* The number of sections, and a section's id by its index (0 to count - 1). Since 1.0. */
CASESCRIBE_EXTERN uint32_t casescribe_record_section_count(const casescribe_record *record);
CASESCRIBE_EXTERN const char *casescribe_record_section_id(const casescribe_record *record, uint32_t index);
/* "human", "ai-draft" or "ai-reviewed". Since 1.0. */
CASESCRIBE_EXTERN const char *casescribe_record_section_origin(const casescribe_record *record, uint32_t index);
/* The engine and model that drafted a section, as the form names them; NULL when absent. Since 1.0. */
CASESCRIBE_EXTERN const char *casescribe_record_section_engine(const casescribe_record *record, uint32_t index);
CASESCRIBE_EXTERN const char *casescribe_record_section_model(const casescribe_record *record, uint32_t index);
/* For a section drafted from a machine transcript: the engine's version and
 * settings, as the form gives them (copy them there from
 * casescribe_transcript_engine_version() and _settings()); stamped into the
 * provenance with the engine and model. NULL when absent. Since 1.2. */
CASESCRIBE_EXTERN const char *casescribe_record_section_engine_version(const casescribe_record *record,
                                                                      uint32_t index);
CASESCRIBE_EXTERN const char *casescribe_record_section_engine_settings(const casescribe_record *record,
                                                                       uint32_t index);
/* Who reviewed a section's AI text and when (UTC, ISO 8601), as the form
 * records them; NULL when absent. Since 1.0. */
CASESCRIBE_EXTERN const char *casescribe_record_section_reviewer(const casescribe_record *record, uint32_t index);
CASESCRIBE_EXTERN const char *casescribe_record_section_reviewed_at(const casescribe_record *record, uint32_t index);
/* "accepted" or "edited". Since 1.0. */
CASESCRIBE_EXTERN const char *casescribe_record_section_review(const casescribe_record *record, uint32_t index);
/* The section's text. Since 1.0. */
CASESCRIBE_EXTERN const char *casescribe_record_section_text(const casescribe_record *record, uint32_t index);

/* What the record's stamp (its <provenance>) says, so that a host never
 * parses it or reads the English report. These read; they do not verify:
 * call casescribe_verify() (or _with_public_key) on the same payload for
 * that. Strings are borrowed from the record, numbers given in decimal;
 * NULL when the record is not stamped, the name is unknown or the stamp
 * lacks it (older stamps lack the ledger and history fields).
 *
 * casescribe_record_stamp(record, name), name one of:
 *   "record", "version", "previous" (the digest of the version before it;
 *   NULL for version 1), "time" (UTC ISO 8601), "library", "key-id",
 *   "actor", "team", "role" (who saved it), "policy-team", "policy-state"
 *   ("signed", "defaults" or "refused"), "policy-version", "policy-digest",
 *   "form-digest", "subjects-digest", "consents-digest", "ledger-seq",
 *   "ledger-prev" (where the save was committed in the ledger), "signature".
 *
 * casescribe_record_stamp_count(record, list) and
 * casescribe_record_stamp_item(record, list, index, name), list one of:
 *   "section"         per section: "id", "origin" ("human", "ai-draft" or
 *                     "ai-reviewed"), "engine", "model", "engine-version",
 *                     "engine-settings", "reviewed-by", "reviewed-at",
 *                     "review" ("accepted" or "edited"), "digest",
 *                     "drafted-at" (when its AI text first appeared),
 *                     "consent-withdrawn" ("true" or "false");
 *   "consent"         per subject: "subject", "in-force" (when the consent
 *                     in force was given; NULL when none was), "given-by",
 *                     "capacity", "scopes", "withdrawn-at", "local-ai" and
 *                     "external-ai" ("allowed" or "refused"), "entries";
 *   "earlier-engine"  every engine that drafted a section's text in an
 *                     earlier version: "section", "engine", "model".
 * The count is 0 for an unknown list. Any thread. Since 1.7. */
CASESCRIBE_EXTERN const char *casescribe_record_stamp(const casescribe_record *record, const char *name);
CASESCRIBE_EXTERN uint32_t casescribe_record_stamp_count(const casescribe_record *record, const char *list);
CASESCRIBE_EXTERN const char *casescribe_record_stamp_item(const casescribe_record *record, const char *list,
                                                           uint32_t index, const char *name);

/* ------------------------------------------------------------------------
 * Journal
 *
 * Every save appends one entry to the home's journal: record id, version,
 * digests, actor id and time (never section text, names or other personal
 * data). So do a change of a team's policy, trusting a policy admin's key
 * and deleting a taken recording (see casescribe_journal_entry_kind()).
 * The journal is the home's ledger (ledger.db): each entry is a
 * compact JSON object with "seq" (1, 2, 3 ...) and "prev" (hex SHA-256 of
 * the previous entry's bytes), committed in database transactions.
 * ------------------------------------------------------------------------ */
typedef struct casescribe_journal_entry casescribe_journal_entry;

/* Walks the whole ledger (one entry in memory at a time) and checks every
 * entry's number, its bytes against the hash kept beside them, and the hash
 * chain. Returns OK, or EJOURNAL naming the first bad entry in the report and in casescribe_last_error(). *entries_out (may be
 * NULL) gets the number of good entries; *report_out (may be NULL) a
 * plain-English summary, freed with casescribe_free(). Any thread. Since 1.0. */
CASESCRIBE_EXTERN int32_t casescribe_journal_verify(uint64_t *entries_out, char **report_out, casescribe_ctx *ctx);

/* Repairs a ledger damaged in its middle (EJOURNAL from
 * casescribe_journal_verify naming an entry before the last, or a damaged
 * database file) from a backup: `backup` is a copy of ledger.db, or a
 * backed-up home folder holding one. The rebuilt ledger holds every entry
 * of the backup (which must verify whole), then every entry of the damaged
 * ledger that still continues that chain, up to the first one that is
 * unreadable or does not (what follows it is lost from the ledger: the
 * report names those entries; their records still verify by signature and
 * can be saved again). The damaged ledger is kept beside as
 * ledger.db.damaged-<time>. `home` is the home folder (NULL: as
 * casescribe_ctx_open finds it). Runs under the home's write lock; stop the
 * hosts first: a process that has the home open refuses its next save with
 * EJOURNAL (its ledger was replaced) until it reopens the context.
 * *report_out (may be NULL) gets a plain-English account, freed with
 * casescribe_free(). Errors: EINVAL, ENOTFOUND (no backup there), EJOURNAL
 * (the backup does not verify: nothing was changed), EIO, ENOMEM.
 * Any thread. Since 1.6. */
CASESCRIBE_EXTERN int32_t casescribe_journal_recover(char **report_out, const char *home, const char *backup);

/* The store of the home `home` (NULL: $CASESCRIBE_HOME, else
 * ~/.local/share/casescribe). A home keeps its ledger in its own SQLite
 * file (ledger.db, the default), or in a PostgreSQL database that several
 * servers of a council share: named by the line `store = postgresql://...`
 * (or `store = service=NAME`, a libpq service) of <home>/casescribe.conf,
 * which $CASESCRIBE_STORE overrides. Credentials come only from libpq's own
 * files (~/.pgpass, the service file); sslmode=verify-full is supported;
 * every connection has a connect and a statement timeout. Each server keeps
 * its private key in its home and registers its public key in the shared
 * key registry; the ledger, record heads, laundering index, fingerprint
 * secret, policies, checkpoints and jobs are shared, and stamps take the
 * database's clock (a server whose own clock is more than
 * CASESCRIBE_CLOCK_SKEW from it refuses to stamp). A lost connection fails
 * what was in flight with ENETWORK and is made again at the next call.
 * See plugin/doc/deployment.md. `command`:
 *   "status"  where the store is, its schema version and entry count;
 *   "init"    creates the schema of the store the home names (when new);
 *   "migrate" upgrades its schema to this library's (a store of a newer
 *             schema is refused, EJOURNAL: every server refuses it);
 *   "copy"    copies the home's own SQLite ledger (every entry byte for
 *             byte, after checking its chain, with the key registry, jobs
 *             and latest checkpoint) into the EMPTY store `uri`, in one
 *             transaction; the home then names it in casescribe.conf.
 * `uri` is used by "copy" only (NULL otherwise). *report_out (may be NULL)
 * gets a report for people; free it with casescribe_free(). Errors:
 * EINVAL (unknown command, no target, target not empty), EJOURNAL, EIO,
 * ENETWORK (the database is unreachable), ENOMEM. Any thread. Since 1.7. */
CASESCRIBE_EXTERN int32_t casescribe_store_admin(char **report_out, const char *home, const char *command,
                                                 const char *uri);

/* Kept for compatibility: the ledger commits whole transactions and nothing
 * is ever cut from it, so this is always 0 (it counted the torn tail of the
 * old journal.log). Any thread. Since 1.0. */
CASESCRIBE_EXTERN uint64_t casescribe_journal_truncated_bytes(const casescribe_ctx *ctx);

/* Reads entry number `seq` (1 is the first). Errors: EINVAL, ENOMEM,
 * ENOTFOUND (no such entry), EJOURNAL, EIO. Free with
 * casescribe_journal_entry_free(). Any thread. Since 1.0. */
CASESCRIBE_EXTERN int32_t casescribe_journal_entry_get(casescribe_journal_entry **entry_out, casescribe_ctx *ctx,
                                                       uint64_t seq);
CASESCRIBE_EXTERN void casescribe_journal_entry_free(casescribe_journal_entry *entry);
CASESCRIBE_EXTERN uint64_t casescribe_journal_entry_seq(const casescribe_journal_entry *entry);
/* What the entry records:
 *   "save"          a record saved (record id, version, digest, actor, time);
 *   "policy"        one setting of a team's policy changed, by hand or by a
 *                   council bundle (team, setting, old and new value, actor,
 *                   time, policy version and digest; the bundle's serial);
 *   "policy-trust"  a policy admin's key trusted (actor, time, old and new
 *                   key ids);
 *   "policy-bundle" a council's signed policy bundle taken (serial, digest,
 *                   issuer, issue time, time), so that an older bundle is
 *                   refused even after the cached copy is deleted;
 *   "audio"         a taken recording deleted under the team's
 *                   audio-retention-days (its spool file name, time);
 *   "key"           a key of the key registry: made, rotated, registered
 *                   or trusted (action, key id, public key, actor, time;
 *                   see casescribe_keys_export());
 *   "confirm"       the host confirmed it committed a version
 *                   (casescribe_save_confirm(): record id, version,
 *                   digest, time; since 1.6);
 *   "abandoned"     versions the host never confirmed, superseded by a
 *                   two-phase save (record id, version: the first
 *                   abandoned, "last", digest of the last, "confirmed":
 *                   the version kept, actor, time; since 1.6).
 * Kinds are only ever added: skip one you do not know. record_id and
 * record_digest give NULL on entries other than "save", "confirm" and
 * "abandoned" (record_version gives a "policy" entry's policy version);
 * actor_id is NULL on "audio", "policy-bundle" and "confirm" entries; every kind has a time. Borrowed strings.
 * Since 1.0. */
CASESCRIBE_EXTERN const char *casescribe_journal_entry_kind(const casescribe_journal_entry *entry);
CASESCRIBE_EXTERN const char *casescribe_journal_entry_record_id(const casescribe_journal_entry *entry);
CASESCRIBE_EXTERN uint32_t casescribe_journal_entry_record_version(const casescribe_journal_entry *entry);
/* "sha256:<hex>" of the stamped provenance, which covers the whole record. Since 1.0. */
CASESCRIBE_EXTERN const char *casescribe_journal_entry_record_digest(const casescribe_journal_entry *entry);
/* The actor the entry names (NULL for the kinds without one: see
 * casescribe_journal_entry_kind()). Since 1.0. */
CASESCRIBE_EXTERN const char *casescribe_journal_entry_actor_id(const casescribe_journal_entry *entry);
/* UTC, ISO 8601, for example "2026-11-02T10:16:00Z". Since 1.0. */
CASESCRIBE_EXTERN const char *casescribe_journal_entry_time(const casescribe_journal_entry *entry);
/* Any field the entry records, by its name in the entry's JSON, as text:
 * strings as they are, numbers in decimal, true/false, lists and objects as
 * compact JSON; NULL when the entry has no such field (or entry or name is
 * NULL). The names, by kind (every kind also has "kind", "seq", "prev" and
 * "time"):
 *   save          record, version, digest, form (the form's digest), actor,
 *                 team, key (the signing key id), ai and human (keyed
 *                 fingerprints of the AI sections' and the human text, for
 *                 the laundering check; ai is [{"section","fp"}]);
 *   policy        team, setting, old, new, actor, version (the policy's),
 *                 policy (its digest), bundle (the council bundle's serial,
 *                 when a bundle made the change);
 *   policy-trust  actor, old, new (key ids);
 *   policy-bundle serial, digest, issued-by, issued-at;
 *   audio         action ("deleted"), reason, file (the spool file name);
 *   key           action, key (id), pub (PEM), actor;
 *   confirm       record, version, digest;
 *   abandoned     record, version, last, digest, confirmed, actor.
 * Borrowed from the entry (valid until casescribe_journal_entry_free). Any
 * thread. Since 1.7. */
CASESCRIBE_EXTERN const char *casescribe_journal_entry_field(const casescribe_journal_entry *entry, const char *name);
/* The entry as one line of compact JSON (no newline), for a log collector
 * or SIEM (`casescribe journal list --format json`): every field but a save
 * entry's text fingerprints (ai, human: derived from record text, of no use
 * outside the home; _field reads them). Entries hold no section text, names
 * or other personal data. Borrowed from the entry;
 * NULL when entry is NULL. Any thread. Since 1.7. */
CASESCRIBE_EXTERN const char *casescribe_journal_entry_json(const casescribe_journal_entry *entry);

/* Checkpoints and evidence from outside the home (since 1.6).
 *
 * Every commit that appends to the ledger also writes, in the same
 * transaction, a signed checkpoint: a C2SP signed note
 * (c2sp.org/tlog-checkpoint) whose lines are the origin
 * "casescribe/<store id>" (32 hex digits made with the ledger's first
 * checkpoint: a recreated or swapped store has another), the number of
 * entries, the base64 SHA-256 of the last entry (the chain head), "time
 * <seconds since the epoch>" and "key <key id>", then a blank line and
 * "— casescribe/<store id> <base64 of 4-byte key hint || Ed25519
 * signature>" by the home's signing key (none before the home has one).
 * Every stamp also names where its save was committed (<provenance>
 * ledger-seq and ledger-prev: the entry's number and the hash of the entry
 * before it). So a checkpoint kept elsewhere, or any stamped record,
 * proves that the ledger once reached that point. */

/* The latest signed checkpoint of the home's ledger, as text ending in a
 * newline, for operations to keep outside the home (another server, the
 * council's archive). *checkpoint_out is freed with casescribe_free().
 * Errors: EINVAL, ENOTFOUND (no checkpoint yet: nothing was committed since
 * the home had a signing key), EIO, ENOMEM. Works on a read-only home.
 * Any thread. Since 1.6. */
CASESCRIBE_EXTERN int32_t casescribe_checkpoint_export(char **checkpoint_out, casescribe_ctx *ctx);

/* Checks the ledger against one piece of evidence kept outside the home:
 * either a checkpoint (text beginning "casescribe/", as exported), a
 * subject access export (the ZIP casescribe_sar_finish() wrote, or its
 * manifest.xml: since 1.7 its manifest carries the ledger's latest
 * checkpoint when it was exported; ENOTFOUND for one that carries none) or a
 * stamped record in the format of `adapter` (NULL: "xml"). Returns OK when
 * the ledger holds what the evidence saw: the checkpoint's entry count and
 * chain head, or the record's own save entry (same record, version and
 * record digest) and the hash of the entry before it. EJOURNAL when the
 * ledger is shorter (entries removed, the store deleted and recreated),
 * disagrees (an entry rewritten, the chain recomputed), or is another
 * home's (the checkpoint's origin is not this store's). EVERIFY when the
 * checkpoint's signature, or the record's stamp, does not verify with the
 * home's keys; EINVAL for a record stamped before 1.6 (no ledger position);
 * EPARSE/ESCHEMA for evidence that is neither. Reads only the entries
 * named (constant time); casescribe_journal_verify checks the chain
 * itself, so run both. *report_out (may be NULL) gets one line saying
 * what was found, freed with casescribe_free(). Any thread. Since 1.6. */
CASESCRIBE_EXTERN int32_t casescribe_journal_check(char **report_out, casescribe_ctx *ctx, const char *adapter,
                                                   const uint8_t *evidence, size_t evidence_len);

/* ------------------------------------------------------------------------
 * Jobs
 *
 * Work that may take long or reach the network (fetching a council's policy
 * bundle, casescribe_policy_refresh(); transcribing a recording,
 * casescribe_transcribe(); drafting a form from a transcript,
 * casescribe_fill()) never runs on the caller's thread or on the save
 * path: it is a job, queued on the context and run by the
 * context's own worker threads (which block every signal). The host watches
 * a job through its handle: poll its state, wait for it with a timeout,
 * ask for a callback when it ends, cancel it. Closing the context cancels
 * the jobs still queued or running and waits for the running ones to stop;
 * their handles stay valid. Every job function may be called from any
 * thread, on the same handle at once, except casescribe_job_free.
 * ------------------------------------------------------------------------ */
typedef struct casescribe_job casescribe_job;

/* casescribe_job_state() values. */
#define CASESCRIBE_JOB_QUEUED 0
#define CASESCRIBE_JOB_RUNNING 1
#define CASESCRIBE_JOB_DONE 2      /* ended with success: casescribe_job_result() has what it made */
#define CASESCRIBE_JOB_FAILED 3    /* ended with an error: casescribe_job_status() and _message() say which */
#define CASESCRIBE_JOB_CANCELLED 4 /* ended by a cancel before it finished */

/* Called once when the job ends, on the thread that ended it (a worker, or
 * the thread that closed the context, or the caller of
 * casescribe_job_on_end when the job had already ended), with the signal
 * mask of the thread that called casescribe_job_on_end (workers otherwise
 * block every signal; runtimes that stop threads with signals, such as
 * Mono's garbage collector, need them). Keep it short: it holds up the
 * worker. It may read the job; it must not free it. */
typedef void casescribe_job_callback_fn(casescribe_job *job, void *user);
typedef casescribe_job_callback_fn *casescribe_job_callback;

/* A CASESCRIBE_JOB_* value; EINVAL for NULL. Since 1.2. */
CASESCRIBE_EXTERN int32_t casescribe_job_state(const casescribe_job *job);
/* What the job does: "policy-refresh", "transcription" or "fill". Borrowed. Since 1.2. */
CASESCRIBE_EXTERN const char *casescribe_job_kind(const casescribe_job *job);
/* Waits until the job ends, at most `timeout_ms` (0: just look; negative:
 * no limit). OK once it has ended (in any state), EBUSY if it has not. Since 1.2. */
CASESCRIBE_EXTERN int32_t casescribe_job_wait(casescribe_job *job, int32_t timeout_ms);
/* How the job ended: OK, the error it failed with, ECANCELLED; EBUSY while
 * it has not ended. Since 1.2. */
CASESCRIBE_EXTERN int32_t casescribe_job_status(const casescribe_job *job);
/* Why a job failed or was cancelled, in plain English (never personal
 * data); NULL while it runs or when it succeeded. Borrowed from the handle. Since 1.2. */
CASESCRIBE_EXTERN const char *casescribe_job_message(const casescribe_job *job);
/* A copy of what a DONE job made, as text (for a policy refresh: what it
 * changed). Free with casescribe_free(). EBUSY before the end, the job's
 * error when it did not succeed. Since 1.2. */
CASESCRIBE_EXTERN int32_t casescribe_job_result(char **result_out, const casescribe_job *job);
/* Asks the job to stop: a queued job will not start, a running one stops
 * at its next check (a network transfer within about a second). A job that
 * finishes first keeps its result. OK, or EINVAL for NULL. Since 1.2. */
CASESCRIBE_EXTERN int32_t casescribe_job_cancel(casescribe_job *job);
/* Sets the callback called when the job ends (replacing an earlier one);
 * when it has already ended, calls it now. Since 1.2. */
CASESCRIBE_EXTERN int32_t casescribe_job_on_end(casescribe_job *job, casescribe_job_callback callback,
                                                void *user);
/* Drops the host's handle. A job still running carries on and its result
 * is dropped (cancel it first to stop it). NULL does nothing. Once per
 * handle, from one thread. Since 1.2. */
CASESCRIBE_EXTERN void casescribe_job_free(casescribe_job *job);

/* How far a job has got: *done_out of *total_out units, where the unit is
 * the job kind's: for a transcription, milliseconds of the recording (the
 * silences count as done once the recording is split, each part of speech
 * once it is recognised); for a fill, steps (3: the gates, the draft, the
 * draft put into the form). Both are 0 until the job knows its total (a
 * queued job, a recording still being decoded, a policy refresh, which
 * reports none); done never exceeds total, never goes back, and equals it
 * once the job is DONE. A subject access export is not a job: the host
 * streams its records and knows how many it has added. EINVAL (NULL
 * arguments: both outputs set to 0 when given). Any thread, any time,
 * without blocking. Since 1.7. */
CASESCRIBE_EXTERN int32_t casescribe_job_progress(const casescribe_job *job, int64_t *done_out,
                                                  int64_t *total_out);

/* Jobs that survive a restart. A transcription or fill job is recorded in
 * the home's store when it is submitted, with its input kept in the home
 * (<home>/jobs/<id>/, folders 0700, files 0600: the form, the recording
 * or the transcript; a recording given with
 * CASESCRIBE_TRANSCRIBE_TAKE_RECORDING is taken into <home>/audio/ at once
 * and follows audio-retention-days there). A host that dies mid-job (a
 * crash, kill -9, a deploy) or closes its context before the job ended
 * finds it again from a context opened afterwards: casescribe_job_list()
 * names it, casescribe_job_attach() gives a handle to it. A job that had
 * ended before the host freed it gives back its kept ending and result (a
 * transcript, a draft) without running again (since 1.7). A job that was
 * queued or running when its process went is run again from its input,
 * and the policy and consent gates run again when it starts (fail closed); a taken recording that
 * retention already deleted cannot be transcribed again (ENOTFOUND). The record
 * and the folder go when the host frees its last handle to a job that has
 * ended (to drop a job for good: attach, cancel, wait, free). A process
 * running a job holds it (a lock that goes with the process), so that
 * another process on the same home never runs it twice. A fill job names
 * its template by id and version: reattaching fails with ENOTFOUND when
 * that version is no longer the home's or a shipped one. Policy-refresh
 * jobs are not kept (the next refresh does the same).
 *
 * The job's id: 32 lowercase hex digits (128 random bits), the same in
 * every process and after a restart; NULL for a job that is not kept (a
 * policy refresh) or NULL. Borrowed from the handle. Any thread. Since 1.6. */
CASESCRIBE_EXTERN const char *casescribe_job_id(const casescribe_job *job);
/* The ids of the kept jobs of this home that no other live process holds,
 * oldest first, one per line ("" when none): jobs that are queued,
 * running here, were interrupted by a restart, or ended without the host
 * freeing them. Free *ids_out with casescribe_free(). EINVAL, ENOMEM, EIO
 * (the store failed). Any thread. Since 1.6. */
CASESCRIBE_EXTERN int32_t casescribe_job_list(char **ids_out, casescribe_ctx *ctx);
/* The same jobs as casescribe_job_list(), one line each: "<id> <kind>
 * <state> created <time> updated <time>", times UTC ISO 8601, state
 * "queued" or "running" (alive in this context), "interrupted" (queued or
 * running when its process went: attaching runs it again), "done",
 * "failed" or "cancelled" (ended before its host freed it: attaching gives
 * back how it ended and what it made). No personal data. Free *lines_out
 * with casescribe_free(). EINVAL, ENOMEM, EIO. Any thread. Since 1.7. */
CASESCRIBE_EXTERN int32_t casescribe_job_list_detail(char **lines_out, casescribe_ctx *ctx);
/* A handle (free it with casescribe_job_free()) to kept job `id`: the same
 * job when it is alive in this context; a job that ended before its host
 * freed it, as it ended (its status, message, result, transcript or draft
 * were kept in its folder: it is not run again, since 1.7); otherwise the
 * job rebuilt from its input and queued again. EINVAL (bad id), ENOTFOUND (no such job here, or its input
 * or template is gone), EBUSY (another live process is running it),
 * EJOURNAL (its record is malformed), ENOMEM, EIO, or the form's
 * EPARSE/ESCHEMA. Any thread. Since 1.6. */
CASESCRIBE_EXTERN int32_t casescribe_job_attach(casescribe_job **job_out, casescribe_ctx *ctx, const char *id);

/* ------------------------------------------------------------------------
 * Transcription
 *
 * A visit recording becomes a machine transcript in a job, never on the
 * save path. The embedded engine (pocketsphinx, US English model, the
 * default) needs no network: the recording is decoded and recognised in
 * helper processes (casescribe-asr) that the library starts, watches and
 * restarts, so that a crash or a hang in a codec or in the engine is an
 * error for that job, never for the host. The recording is split at its
 * silences and its parts are decoded in parallel.
 *
 * A team whose policy chooses the remote engine sends the parts (never the
 * silences) to an OpenAI-compatible /audio/transcriptions service at an
 * endpoint on the policy's allow-list: https with certificates verified
 * (plain http only to this machine), no redirects, timeouts, a size limit
 * on answers, the API key from a 0600 file or the environment, never
 * logged. Every answer is checked before a word of it is used.
 *
 * Before anything runs, two gates, checked when the job is asked for and
 * again when it starts: the form's team must have "transcription" on in its
 * policy (and "external-ai" too for the remote engine), and every subject
 * on the form must have consent in force that covers "record-audio" and
 * "transcribe" (and "external-ai" for the remote engine). Fail closed. A
 * transcript is always marked as machine-made, and every word the engine
 * was unsure of (or gave no confidence for) is marked in every rendering.
 * ------------------------------------------------------------------------ */
typedef struct casescribe_transcript casescribe_transcript;

/* What to transcribe. Initialise with
 * casescribe_transcribe_options_init(&o, sizeof(o)), then set form and
 * audio_path. Strings and the form are copied. */
/* casescribe_transcribe_options.flags */
#define CASESCRIBE_TRANSCRIBE_TAKE_RECORDING 0x1u /* the library takes the recording and keeps it only as
                                                     long as the team's policy says (see below) */

typedef struct casescribe_transcribe_options {
    uint32_t struct_size;
    uint32_t flags;           /* CASESCRIBE_TRANSCRIBE_* */
    uint32_t parallel;        /* decoders at once; 0: one per CPU (at most 8) */
    const char *form_adapter; /* default "xml" */
    const uint8_t *form;      /* the form the recording belongs to: its team and consents */
    size_t form_len;
    const char *audio_path;   /* WAV, FLAC, OGG/Vorbis, OGG/Opus, MP3, ... */
    uint32_t max_seconds;     /* a longer recording is refused (ETOOBIG); 0: 4 hours */
    uint32_t unsure_permille; /* words below this confidence are marked unsure; 0: 600 */
    const char *helper_path;  /* NULL: the installed casescribe-asr */
    const char *model_dir;    /* NULL: the installed pocketsphinx en-us model */
    /* The remote engine, used only when the team's policy chooses it (engine
     * "remote", external-ai on) and every subject consented to external-ai. */
    const char *remote_endpoint; /* one of the policy's endpoints; NULL: the first it allows */
    const char *remote_model;    /* the service's model name; default "whisper-1" */
    const char *api_key_file;    /* a file holding the API key, mode 0600 (refused otherwise); or */
    const char *api_key_env;     /* the name of an environment variable holding it; neither: no key */
    const char *ca_file;         /* extra PEM CA certificates for the service; NULL: the system's */
    /* Since 1.7. The worker's observation tags: moments marked during the
     * visit, one a line, "hh:mm:ss label" ("00:12:31 child withdrew to
     * bedroom"; "[hh:mm:ss] label" too), UTF-8, at most 200 tags of 200
     * bytes. Each is put in the transcript at its time as a segment of the
     * worker's own words (by="worker"), never marked unsure, never drafted
     * as AI text: a fill job carries them into the draft's human section
     * "worker-observations". Needs "observation-tags" on in the team's
     * policy (EPOLICY otherwise); a malformed list is EPARSE at once. NULL
     * (0): none. Copied. A struct from before 1.7 (without these fields)
     * is still accepted: pass its own size. */
    const uint8_t *tags;
    size_t tags_len;
} casescribe_transcribe_options;

/* Sets every field of `opts` to its default and struct_size to `struct_size`
 * (pass sizeof(casescribe_transcribe_options)). Returns EINVAL for a size this library does
 * not know. Any thread. Since 1.2. */
CASESCRIBE_EXTERN int32_t casescribe_transcribe_options_init(casescribe_transcribe_options *opts,
                                                             uint32_t struct_size);

/* Retention. With CASESCRIBE_TRANSCRIBE_TAKE_RECORDING the job moves the
 * recording into the home (audio/, only the library reads it) when it
 * starts. When the transcript is made, the team's audio-retention-days
 * applies: 0 (the default) deletes the recording at once, N keeps it N
 * days and then casescribe_audio_sweep() (also run by every such job)
 * deletes it. A job that fails puts the recording back where it was. Each
 * deletion is journalled (kind "audio": the spool file name and the
 * reason). Without the flag the recording stays the host's, and so does
 * applying the policy's retention to it. */

/* Starts a transcription job. Fails at once with EINVAL, ENOMEM, the form's
 * EPARSE/ESCHEMA, EPOLICY (transcription off for the form's team; for the
 * remote engine, external-ai off or an endpoint the policy does not allow)
 * or ECONSENT. The job may fail with those (the gates run again), EAUDIO
 * (not audio, corrupt, truncated, empty, silent, no speech), ETOOBIG,
 * ENOTFOUND (no such file), EINTERNAL (the embedded engine failed twice on
 * a part: the message says where), EKEY (an API key file others can read,
 * or an unset variable), ENETWORK (the remote service: connection,
 * certificate, timeout, an HTTP error or an answer that makes no sense),
 * ECANCELLED. Any thread. Since 1.2. */
CASESCRIBE_EXTERN int32_t casescribe_transcribe(casescribe_job **job_out, casescribe_ctx *ctx,
                                                const casescribe_transcribe_options *opts);

/* The transcript a DONE transcription job made: a handle of its own, freed
 * with casescribe_transcript_free() (the job may be freed first). EBUSY
 * before the end, the job's error when it failed, EINVAL for another kind
 * of job. Any thread. Since 1.2. */
CASESCRIBE_EXTERN int32_t casescribe_job_transcript(casescribe_transcript **transcript_out,
                                                    const casescribe_job *job);

/* Reading a transcript. A transcript never changes; any thread. Segments
 * are the parts between silences; times are milliseconds from the start of
 * the recording; strings are borrowed from the handle. Out-of-range
 * indexes give 0, -1 or NULL. Since 1.2. */
CASESCRIBE_EXTERN uint32_t casescribe_transcript_segment_count(const casescribe_transcript *t);
CASESCRIBE_EXTERN int64_t casescribe_transcript_segment_start_ms(const casescribe_transcript *t, uint32_t seg);
CASESCRIBE_EXTERN int64_t casescribe_transcript_segment_end_ms(const casescribe_transcript *t, uint32_t seg);
CASESCRIBE_EXTERN const char *casescribe_transcript_segment_text(const casescribe_transcript *t, uint32_t seg);
CASESCRIBE_EXTERN uint32_t casescribe_transcript_word_count(const casescribe_transcript *t, uint32_t seg);
CASESCRIBE_EXTERN const char *casescribe_transcript_word_text(const casescribe_transcript *t, uint32_t seg,
                                                              uint32_t word);
CASESCRIBE_EXTERN int64_t casescribe_transcript_word_start_ms(const casescribe_transcript *t, uint32_t seg,
                                                              uint32_t word);
CASESCRIBE_EXTERN int64_t casescribe_transcript_word_end_ms(const casescribe_transcript *t, uint32_t seg,
                                                            uint32_t word);
/* The engine's confidence in a word, 0-1000 per mille; -1 when it gave none. Since 1.2. */
CASESCRIBE_EXTERN int32_t casescribe_transcript_word_confidence(const casescribe_transcript *t, uint32_t seg,
                                                                uint32_t word);
/* 1 when the word is below the unsure threshold (or has no confidence), 0
 * otherwise, EINVAL out of range. Since 1.2. */
CASESCRIBE_EXTERN int32_t casescribe_transcript_word_unsure(const casescribe_transcript *t, uint32_t seg,
                                                            uint32_t word);
/* What made it, for the record's provenance: engine ("embedded:pocketsphinx"),
 * model, engine version, and the settings used. Since 1.2. */
CASESCRIBE_EXTERN const char *casescribe_transcript_engine(const casescribe_transcript *t);
CASESCRIBE_EXTERN const char *casescribe_transcript_model(const casescribe_transcript *t);
CASESCRIBE_EXTERN const char *casescribe_transcript_engine_version(const casescribe_transcript *t);
CASESCRIBE_EXTERN const char *casescribe_transcript_settings(const casescribe_transcript *t);

/* casescribe_transcript_render() formats. */
#define CASESCRIBE_TRANSCRIPT_TEXT 0 /* plain text: a machine-made notice, then a line per segment, unsure words as [word?] */
#define CASESCRIBE_TRANSCRIPT_XML 1  /* urn:casescribe:transcript:1, every word with times, confidence and unsure="true" */

/* Renders the transcript; free *out with casescribe_free(). EINVAL, ENOMEM. Since 1.2. */
CASESCRIBE_EXTERN int32_t casescribe_transcript_render(char **out, const casescribe_transcript *t, uint32_t format);
/* Drops the handle. NULL does nothing. Since 1.2. */
CASESCRIBE_EXTERN void casescribe_transcript_free(casescribe_transcript *t);

/* Deletes the recordings the home holds whose retention has run out; how
 * many into *deleted_out (may be NULL). Call it daily, for example from the
 * host's maintenance task. Errors: EINVAL, EIO. Any thread. Since 1.2. */
CASESCRIBE_EXTERN int32_t casescribe_audio_sweep(casescribe_ctx *ctx, uint32_t *deleted_out);

/* Reads a transcript back from its XML rendering (CASESCRIBE_TRANSCRIPT_XML,
 * urn:casescribe:transcript:1), so that a host can keep a transcript and
 * draft from it later. The XML is checked like any input: EPARSE, ESCHEMA
 * (also for segments out of order or times that run backwards), ETOOBIG
 * (over 32 MiB, 20000 segments or 500000 words), EINVAL, ENOMEM. Free the
 * handle with casescribe_transcript_free(). Needs no context; any thread.
 *
 * Since 1.7 it also reads transcripts other programs made, told apart by
 * their content: WebVTT (Microsoft Teams, Zoom, Otter: a cue's speaker from
 * its <v Name> voice tag or a leading "Name:"), SubRip (SRT) and plain text
 * with "[hh:mm:ss] Speaker: words" lines. Each cue becomes a segment whose
 * words carry the cue's times and no confidence; the transcript is
 * made-by "imported" (engine "imported:webvtt", "imported:srt" or
 * "imported:text"), no word of it is unsure, and its renderings say that
 * another program made it. Bounds: 32 MiB, lines of 4096 bytes, strict
 * UTF-8 without control characters, words of 64 characters, speakers'
 * names of 200 bytes, and the segment and word counts above (EPARSE or
 * ETOOBIG, naming the line). Since 1.3. */
CASESCRIBE_EXTERN int32_t casescribe_transcript_open(casescribe_transcript **transcript_out, const uint8_t *xml,
                                                     size_t len);

/* ------------------------------------------------------------------------
 * Templates and drafting
 *
 * A template (urn:casescribe:template:1, see template-1.xsd) lists the
 * sections of a form, with guidance and prompts for the worker, and says
 * of each whether a computer may draft it: CASESCRIBE_AI_DRAFT, or
 * CASESCRIBE_AI_NEVER for the sections that hold the worker's professional
 * judgement (analysis, decisions, eligibility). The library never drafts a
 * `never` section, whatever an engine returns, and casescribe_save()
 * refuses AI text in one (EPOLICY), reviewed or not. Templates ship in
 * $(datadir)/casescribe/templates ($CASESCRIBE_TEMPLATE_DIR, when set, names
 * another folder: an installation moved elsewhere); a council adds its own
 * (or replaces one) in the home's templates/ folder, named <id>.xml.
 *
 * casescribe_fill() drafts a form's `draft` sections from a transcript, as
 * a job. The embedded filler (the default: no network) uses only the
 * transcript's own sentences, chosen for each section by relevance, tidied
 * of "um"s and stutters, so it cannot invent a fact. A team whose policy
 * chooses the remote engine (with external-ai on) asks an OpenAI-compatible
 * /chat/completions service at an endpoint on the policy's allow-list,
 * sending only pseudonymised text: names of the form's subjects, and NHS
 * numbers, phone numbers, emails, postcodes, dates and addresses found in
 * the transcript, become placeholders, restored on return. Every sentence
 * of the model's answer must cite transcript segments holding the names,
 * numbers and dates it states: one that does not is kept, marked
 * unsupported; writes to `never` or unknown sections, sentences carrying
 * instructions, and answers that are not the JSON asked for are dropped,
 * with the reason in the job's result.
 *
 * The draft is a copy of the form with each drafted section as an ai-draft
 * section (engine, model, version, settings) and a <cite> per sentence:
 * where in the section's text the sentence is, which transcript segments
 * it came from, the span of the recording, and whether it is supported. A
 * section the worker has already written is never replaced. The host shows
 * the draft for review and saves it as usual: the save's policy, consent
 * and review gate apply to it like any AI text.
 *
 * Gates, at the request and again when the job starts: the form's team
 * must have "ai-draft" on (and "external-ai" for the remote filler), and
 * every subject on the form must have consent in force to "ai-draft" (and
 * "external-ai"). Fail closed.
 * ------------------------------------------------------------------------ */
typedef struct casescribe_template casescribe_template;

/* casescribe_template_section_ai() values. */
#define CASESCRIBE_AI_NEVER 0 /* professional judgement: never drafted by AI */
#define CASESCRIBE_AI_DRAFT 1 /* AI may propose a draft, which a person must review */

/* Reads a template from memory (at most 256 KiB). EPARSE, ESCHEMA,
 * ETOOBIG, EINVAL, ENOMEM. Needs no context; any thread. Since 1.3. */
CASESCRIBE_EXTERN int32_t casescribe_template_open(casescribe_template **template_out, const uint8_t *xml,
                                                   size_t len);
/* The template `id`: from the home's templates/ folder, else the installed
 * ones, else the shipped ones (built into the library). A context reads
 * each template once, and remembers an id it found no template for: a
 * template added later applies to contexts opened after it. ENOTFOUND, or
 * the file's EPARSE/ESCHEMA/EIO, EVERIFY (not signed by the home) or
 * EPOLICY (it drops a shipped `never` section). Any thread. Since 1.3. */
CASESCRIBE_EXTERN int32_t casescribe_template_find(casescribe_template **template_out, casescribe_ctx *ctx,
                                                   const char *id);
/* The ids of the templates that can be found (the home's and the installed
 * ones, each once), one per line; "" when none. Invalid files are left out.
 * Free *ids_out with casescribe_free(). EINVAL, ENOMEM. Any thread. Since 1.3. */
CASESCRIBE_EXTERN int32_t casescribe_template_list(char **ids_out, casescribe_ctx *ctx);
/* Installs a template (urn:casescribe:template:1, at most 256 KiB) as the
 * home's own: signs it with the home's current key and writes it
 * atomically to <home>/templates/<id>.xml, replacing any there. A template
 * in the home's templates/ folder, or in the installed folder other than a
 * shipped template byte for byte, is used only when signed by the home's
 * key: an unsigned or hand-edited one is refused (EVERIFY). A template with
 * a shipped template's id may add ai="never" sections but never remove one
 * (EPOLICY). This context sees the new template at once; others from their
 * next open. The xml is the caller's. EINVAL, EPARSE, ESCHEMA, ETOOBIG,
 * EPOLICY, EKEY (no signing key), EIO, ENOMEM. Any thread. Since 1.6. */
CASESCRIBE_EXTERN int32_t casescribe_template_install(casescribe_ctx *ctx, const uint8_t *xml, size_t len);
/* Drops the handle. NULL does nothing. Since 1.3. */
CASESCRIBE_EXTERN void casescribe_template_free(casescribe_template *t);

/* Reading a template. A template never changes; any thread. Strings are
 * borrowed from the handle; out-of-range indexes give NULL or 0. Since 1.3. */
CASESCRIBE_EXTERN const char *casescribe_template_id(const casescribe_template *t);
CASESCRIBE_EXTERN const char *casescribe_template_title(const casescribe_template *t);
CASESCRIBE_EXTERN uint32_t casescribe_template_version(const casescribe_template *t);
CASESCRIBE_EXTERN uint32_t casescribe_template_section_count(const casescribe_template *t);
CASESCRIBE_EXTERN const char *casescribe_template_section_id(const casescribe_template *t, uint32_t section);
CASESCRIBE_EXTERN const char *casescribe_template_section_title(const casescribe_template *t, uint32_t section);
CASESCRIBE_EXTERN const char *casescribe_template_section_guidance(const casescribe_template *t,
                                                                   uint32_t section);
/* CASESCRIBE_AI_DRAFT or CASESCRIBE_AI_NEVER; EINVAL out of range. Since 1.3. */
CASESCRIBE_EXTERN int32_t casescribe_template_section_ai(const casescribe_template *t, uint32_t section);
/* The prompts the template gives the worker for a section: how many, and
 * each by its index (0 to count - 1). Since 1.3. */
CASESCRIBE_EXTERN uint32_t casescribe_template_prompt_count(const casescribe_template *t, uint32_t section);
CASESCRIBE_EXTERN const char *casescribe_template_prompt(const casescribe_template *t, uint32_t section,
                                                         uint32_t prompt);

/* What to draft. Initialise with casescribe_fill_options_init(&o, sizeof(o)),
 * then set form, form_template and transcript. The form is copied; the
 * template and transcript handles are kept by the job (the host may free
 * its own at once). */
typedef struct casescribe_fill_options {
    uint32_t struct_size;
    uint32_t max_sentences;                   /* per section, at most 64; 0: the filler's (embedded: 6 to 12,
                                                 growing with the transcript; remote: 6) */
    const char *form_adapter;                 /* default "xml" */
    const uint8_t *form;                      /* the form to draft: its template, team, subjects and consents */
    size_t form_len;
    const casescribe_template *form_template; /* must be the form's template */
    const casescribe_transcript *transcript;
    /* The remote filler, used only when the team's policy chooses it (engine
     * "remote", external-ai on) and every subject consented to external-ai. */
    const char *remote_endpoint; /* one of the policy's endpoints; NULL: the first it allows */
    const char *remote_model;    /* the service's model name; default "gpt-4o-mini" */
    const char *api_key_file;    /* a file holding the API key, mode 0600 (refused otherwise); or */
    const char *api_key_env;     /* the name of an environment variable holding it; neither: no key */
    const char *ca_file;         /* extra PEM CA certificates for the service; NULL: the system's */
    /* Since 1.7. How the embedded filler writes a line quoting one speaker:
     * CASESCRIBE_FILL_STYLE_QUOTE (0, the default) as the speaker's words,
     * tidied ("Kerry: I've agreed a payment plan."); or
     * CASESCRIBE_FILL_STYLE_REPORTED, the record's style, as reported
     * speech ("Kerry said they have agreed a payment plan."): only the
     * person changes (I -> they, my -> their, am/was after I -> are/were)
     * and the fixed words "said" and "They" (when no speaker is named) are
     * added; every other word is the transcript's, the citations and the
     * unsure marks are the same. The worker's own lines and a short answer
     * drafted with its question keep their rendering. The remote filler
     * ignores it. EINVAL for another value. A struct from before 1.7
     * (without this field) is still accepted: pass its own size. */
    uint32_t style;
} casescribe_fill_options;

/* casescribe_fill_options.style (since 1.7) */
#define CASESCRIBE_FILL_STYLE_QUOTE 0u
#define CASESCRIBE_FILL_STYLE_REPORTED 1u

/* Sets every field of `opts` to its default and struct_size to `struct_size`
 * (pass sizeof(casescribe_fill_options)). Returns EINVAL for a size this library does
 * not know. Any thread. Since 1.3. */
CASESCRIBE_EXTERN int32_t casescribe_fill_options_init(casescribe_fill_options *opts, uint32_t struct_size);

/* Starts a fill job. Fails at once with EINVAL (also for a form of another
 * template), ENOMEM, the form's EPARSE/ESCHEMA, EPOLICY or ECONSENT. The
 * job may fail with those (the gates run again), EKEY, ENETWORK (the remote
 * service: connection, certificate, timeout, HTTP error, or an answer that
 * is not the JSON asked for), ETOOBIG, ECANCELLED. Its result
 * (casescribe_job_result) says, section by section, what was drafted and
 * what was left out and why, without quoting any text; and, whatever the
 * engine, one line per transcript sentence (since 1.7):
 *   "possible attempt to steer the record: segment N (at hh:mm:ss), not drafted"
 *     for a sentence addressed to a recorder, computer or AI, or telling
 *     it what to write, for the reviewer to see;
 *   "the worker's own words, offered for ID[, ID]: segment N (at hh:mm:ss)"
 *     for the worker's own judgement said aloud, which no AI section
 *     holds: the worker may use it in those `never` sections.
 * Segments count from 1; "(at ...)" is absent when the time is unknown.
 * Any thread. Since 1.3. */
CASESCRIBE_EXTERN int32_t casescribe_fill(casescribe_job **job_out, casescribe_ctx *ctx,
                                          const casescribe_fill_options *opts);

/* The draft form a DONE fill job made, encoded by the adapter the form came
 * through. Free *form_out with casescribe_free(). EBUSY before the end, the
 * job's error when it failed, EINVAL for another kind of job, ENOMEM. Any
 * thread. Since 1.3. */
CASESCRIBE_EXTERN int32_t casescribe_job_draft(uint8_t **form_out, size_t *form_len_out, const casescribe_job *job);

/* ------------------------------------------------------------------------
 * Team policy
 *
 * Each team has a policy that switches AI features on or off: features
 * "transcription", "ai-draft", "external-ai" and "observation-tags" (each
 * "on" or "off"), and settings "audio-retention-days" (0-365, default 0:
 * the audio is deleted once its transcript is saved), "engine" ("embedded",
 * the default, or "remote") and "endpoints" (the allowed external services,
 * space-separated https base URLs, none by default). A team never
 * configured has every feature off. The policy is a file in the home signed
 * with the home's key; a file that does not verify (a hand edit, another
 * key) is not used: the team runs on those safe defaults, and the policy
 * handle says why. So is an older signed file put back: a file older than
 * the latest version the home's journal holds for the team, or of that
 * version with other content (whatever key signed it); and new versions
 * are numbered after the journal's latest, also when the file was deleted.
 * Every save reads its team's policy as it is on disk at
 * that moment: a change made by another process applies from the next save.
 * ------------------------------------------------------------------------ */

/* casescribe_policy_state() values. */
#define CASESCRIBE_POLICY_DEFAULTS 0 /* no policy file: the safe defaults */
#define CASESCRIBE_POLICY_SIGNED 1   /* a signed file that verifies */
#define CASESCRIBE_POLICY_REFUSED 2  /* a file not used (bad signature, older than the journal's): defaults */

typedef struct casescribe_policy casescribe_policy;

/* The policy in force for `team`, an id like a form's team: 1-128
 * characters of A-Z a-z 0-9 . _ : @ / + - (in its file name '/' is written
 * %2F, a leading '.' %2E). *policy_out is a snapshot that later changes do
 * not touch; free it with casescribe_policy_free(). Errors: EINVAL (NULL or
 * a name that is no team id: never the defaults), ENOMEM, EIO. Any thread. Since 1.1. */
CASESCRIBE_EXTERN int32_t casescribe_team_policy(casescribe_policy **policy_out, casescribe_ctx *ctx,
                                                 const char *team);

/* Changes one feature or setting of `team`'s policy, for the admin `actor_id`
 * (who is named in the journal): writes the next version, signed, atomically
 * (temp file, fsync, rename, fsync of the folder), and first appends an
 * audit entry to the journal (kind "policy": team, setting, old and new
 * value, actor, time, version). Setting a value the policy already has
 * changes nothing and journals nothing. Changes from several threads and
 * processes are serialised: none is lost. Errors: EINVAL (bad team, actor
 * or value, with the allowed values in the message), ENOTFOUND (unknown
 * feature or setting), EKEY (no signing key), EJOURNAL, EIO, ENOMEM.
 * Any thread. Since 1.1. */
CASESCRIBE_EXTERN int32_t casescribe_team_set(casescribe_ctx *ctx, const char *actor_id, const char *team,
                                              const char *key, const char *value);

/* The teams that have a policy file, one name per line, sorted; "" when
 * none. Free *teams_out with casescribe_free(). Errors: EINVAL, ENOMEM,
 * EIO. Any thread. Since 1.1. */
CASESCRIBE_EXTERN int32_t casescribe_team_list(char **teams_out, casescribe_ctx *ctx);

/* Reading a policy. Strings are borrowed from the handle. Any thread; a
 * handle may be read from several threads. Since 1.1. */
CASESCRIBE_EXTERN const char *casescribe_policy_team(const casescribe_policy *policy);
/* The version (0 for the defaults). Since 1.1. */
CASESCRIBE_EXTERN uint32_t casescribe_policy_version(const casescribe_policy *policy);
/* A CASESCRIBE_POLICY_* value; -1 for NULL. Since 1.1. */
CASESCRIBE_EXTERN int32_t casescribe_policy_state(const casescribe_policy *policy);
/* For a REFUSED policy, why the file was not used; NULL otherwise. Since 1.1. */
CASESCRIBE_EXTERN const char *casescribe_policy_problem(const casescribe_policy *policy);
/* "sha256:..." of the signed file (recorded in each record's provenance);
 * NULL for the defaults. Since 1.1. */
CASESCRIBE_EXTERN const char *casescribe_policy_digest(const casescribe_policy *policy);
/* 1 when `feature` is on, 0 when off, CASESCRIBE_ENOTFOUND for an unknown
 * feature, CASESCRIBE_EINVAL for NULL. Since 1.1. */
CASESCRIBE_EXTERN int32_t casescribe_policy_feature(const casescribe_policy *policy, const char *feature);
/* The value of a feature or setting as text ("on", "30", "embedded", the
 * endpoints space-separated). Free *value_out with casescribe_free().
 * Errors: EINVAL, ENOTFOUND, ENOMEM. Since 1.1. */
CASESCRIBE_EXTERN int32_t casescribe_policy_setting(char **value_out, const casescribe_policy *policy,
                                                    const char *key);
/* Frees a policy handle. NULL does nothing. Since 1.1. */
CASESCRIBE_EXTERN void casescribe_policy_free(casescribe_policy *policy);

/* ------------------------------------------------------------------------
 * Policy bundles: one council, many hosts
 *
 * A council's policy admin writes the settings of many teams in one bundle
 * (an XML <bundle> of urn:casescribe:policy:1, see policy-1.xsd), signs it
 * with the admin's own Ed25519 key (casescribe_policy_bundle_sign) and
 * publishes it at an HTTPS address. Each host's home trusts that admin's
 * public key (casescribe_policy_trust) and refreshes from the address, for
 * example every few minutes (casescribe_policy_refresh). A refresh applies
 * the bundle only when its signature verifies with the trusted key and its
 * serial is not older than the bundle in force; it asks the server with the
 * last ETag, so an unchanged bundle is not downloaded again; and whatever
 * fails (no connection, bad certificate, timeout, an oversized or badly
 * signed bundle) changes nothing: the teams keep their policies. A team
 * the bundle lists is set to what the bundle says, as a new signed version
 * with audit entries naming the bundle's issuer and serial, and a change
 * made by hand since goes back at the next refresh; teams the bundle does
 * not list are left alone.
 * ------------------------------------------------------------------------ */

/* Where and how to fetch a bundle. Initialise with
 * casescribe_fetch_options_init(&o, sizeof(o)), then set url. */
typedef struct casescribe_fetch_options {
    uint32_t struct_size;
    uint32_t max_bytes;         /* a larger bundle is refused (ETOOBIG); default 1 MiB, at most 4 MiB */
    const char *url;            /* https:// only: certificates are always verified */
    const char *ca_file;        /* PEM file of the council's own CA certificates; NULL: the system's store */
    int32_t connect_timeout_ms; /* default 10000; 1 ms to 10 minutes */
    int32_t timeout_ms;         /* the whole transfer; default 30000; 1 ms to 10 minutes */
} casescribe_fetch_options;

/* Sets every field of `opts` to its default and struct_size to `struct_size`
 * (pass sizeof(casescribe_fetch_options)). Returns EINVAL for a size this library does
 * not know. Any thread. Since 1.2. */
CASESCRIBE_EXTERN int32_t casescribe_fetch_options_init(casescribe_fetch_options *opts, uint32_t struct_size);

/* Makes the home trust the policy admin's Ed25519 public key (PEM) for
 * bundles, replacing any key trusted before; the change is journalled
 * (kind "policy-trust": actor, time, old and new key id). Trusting the key
 * already trusted does nothing. Errors: EINVAL, EKEY (not an Ed25519
 * public key), EJOURNAL, EIO, ENOMEM. Any thread. Since 1.2. */
CASESCRIBE_EXTERN int32_t casescribe_policy_trust(casescribe_ctx *ctx, const char *actor_id, const char *pem,
                                                  size_t pem_len);

/* Starts a job that fetches the bundle at opts->url and applies it (see
 * above). The job's result says what changed. The job fails with EKEY when
 * the home trusts no admin key, ENETWORK (connection, certificate,
 * timeout, HTTP status other than 200 or 304, redirect), ETOOBIG,
 * EPARSE/ESCHEMA (not a bundle), EVERIFY (bad signature, untrusted key,
 * older serial), EJOURNAL, EIO. This call itself fails only with EINVAL
 * (bad options) or ENOMEM. The options are copied. Any thread. Since 1.2. */
CASESCRIBE_EXTERN int32_t casescribe_policy_refresh(casescribe_job **job_out, casescribe_ctx *ctx,
                                                    const casescribe_fetch_options *opts);

/* Signs a bundle with the admin's Ed25519 private key (a PKCS#8 PEM file
 * that only its owner may read: mode 0600), replacing any signature it
 * has. The result is checked against the schema. Free *out with
 * casescribe_free(). Errors: EINVAL, EKEY, EPARSE, ESCHEMA, ETOOBIG,
 * ENOMEM. Needs no context; any thread. Since 1.2. */
CASESCRIBE_EXTERN int32_t casescribe_policy_bundle_sign(uint8_t **out, size_t *out_len, const uint8_t *bundle,
                                                        size_t bundle_len, const char *admin_key_path);


/* ------------------------------------------------------------------------
 * Subject access export
 *
 * When a person asks for their records (a subject access request), the
 * host streams that person's records to an export, one at a time (the host
 * owns its database; the library never holds them all), and gets a ZIP:
 *
 *   report.html     the records in plain English, for the person: for each
 *                   part, who wrote it ("Written by your social worker",
 *                   "First drafted by a computer program ... then checked
 *                   and changed by your social worker on 3 November 2026",
 *                   "Drafted by a computer program and not yet checked"),
 *                   the words the transcriber was unsure of, sentences not
 *                   found in the recording, the person's consent and any
 *                   withdrawal, and a warning on any record whose provenance
 *                   does not verify. Self-contained (no scripts, no outside
 *                   resources), printable, WCAG 2.2 AA.
 *   records.xml     the same records, machine-readable (urn:casescribe:sar:1
 *                   around each urn:casescribe:form:1 form), with provenance.
 *   manifest.xml    SHA-256 of every file, each record's digest, version and
 *                   previous digest, and what was redacted (counts and
 *                   reasons, never the text); see sar-manifest-1.xsd. Since
 *                   1.7 also the home ledger's latest signed checkpoint
 *                   (<checkpoint>): the export proves how far the ledger
 *                   had come (casescribe_journal_check() takes the ZIP).
 *   manifest.sig    the raw Ed25519 signature of manifest.xml by the home's
 *                   current key; public-key.pem and README.txt tell anyone
 *                   how to check it with openssl and sha256sum alone.
 *
 * Other people: information about third parties must be reviewed before
 * disclosure. With review_path set, the export also writes a CSV for the
 * council's officer (never into the bundle): each other person on each
 * record, and each capitalised name in section text that is not the
 * requester's. The officer puts "yes" in its `redact` column (and a reason:
 * third-party, serious-harm, legal-privilege, crime-prevention, other) and
 * runs the export again with redact_path set to it: approved items become
 * "[redacted]" in the report and in records.xml, and the manifest notes
 * each redacted record's count, reasons and original record digest. A row
 * whose record is "*" applies to every record.
 *
 * A casescribe_sar handle is used by one thread at a time.
 * ------------------------------------------------------------------------ */
typedef struct casescribe_sar casescribe_sar;

/* Initialise with casescribe_sar_options_init(&o, sizeof(o)). Strings are
 * copied by casescribe_sar_open. */
typedef struct casescribe_sar_options {
    uint32_t struct_size;
    uint32_t flags;                 /* none yet: 0 */
    const char *subject_id;         /* required: the person asking, as forms name them */
    const char *output_path;        /* required: the ZIP, replaced only when the export finishes */
    const char *review_path;        /* where to write the officer's redaction-review.csv; NULL: none */
    const char *redact_path;        /* a reviewed redaction-review.csv to apply; NULL: none */
    const char *organisation;       /* named on the page, e.g. "Northshire County Council"; NULL: "the council" */
    const char *correction_contact; /* how to ask for a correction (one line); NULL: the council's data
                                       protection officer */
} casescribe_sar_options;

/* Sets every field of `opts` to its default and struct_size to `struct_size`
 * (pass sizeof(casescribe_sar_options)). Returns EINVAL for a size this library does
 * not know. Any thread. Since 1.4. */
CASESCRIBE_EXTERN int32_t casescribe_sar_options_init(casescribe_sar_options *opts, uint32_t struct_size);

/* Starts an export. Makes a private folder (0700) beside output_path for
 * the parts. The export uses `ctx` until it is freed: close the context
 * only after casescribe_sar_free. Errors: EINVAL, ENOMEM, EKEY (the home has no signing key),
 * EIO, and for redact_path ENOTFOUND, ETOOBIG, ESCHEMA (not a review list,
 * an unknown reason). Free with casescribe_sar_free(). Any thread. Since 1.4. */
CASESCRIBE_EXTERN int32_t casescribe_sar_open(casescribe_sar **sar_out, casescribe_ctx *ctx,
                                              const casescribe_sar_options *opts);

/* Adds one record (a stamped payload through `adapter`, as saved). Its
 * provenance is checked with the home's keys; one that does not verify is
 * included with a warning, never silently. Errors: the decode errors
 * (EPARSE, ESCHEMA, ETOOBIG, ENOTFOUND adapter): nothing was added and the
 * export goes on; EINVAL for a record that does not name the subject (left
 * out: it is not theirs); EIO or ENOMEM: the export cannot be finished. Since 1.4. */
CASESCRIBE_EXTERN int32_t casescribe_sar_add(casescribe_sar *sar, const char *adapter, const uint8_t *payload,
                                             size_t payload_len);

/* Writes the page's head, signs the manifest, zips and renames the ZIP to
 * output_path (mode 0600), and the review list to review_path. *summary_out
 * (may be NULL; free it) gets counts, one "name: value" per line, and the
 * key's id and fingerprint ("key fingerprint: ...", for the cover letter). Errors:
 * EIO, EKEY, ENOMEM, ETOOBIG (a manifest over 64 MiB), EINVAL (already
 * finished, or an add failed with EIO/ENOMEM). The handle must still be
 * freed. Since 1.4. */
CASESCRIBE_EXTERN int32_t casescribe_sar_finish(char **summary_out, casescribe_sar *sar);

/* Drops the handle; an unfinished export's parts are deleted and the output
 * is not touched. NULL does nothing. Since 1.4. */
CASESCRIBE_EXTERN void casescribe_sar_free(casescribe_sar *sar);

/* Checks an export: the manifest's signature with `pubkey_pem`, the
 * council's published key, and every file against the manifest. Any
 * changed, added or missing file is named in *report_out (may be NULL;
 * free it), with the key's fingerprint (casescribe_public_key_fingerprint).
 * OK only when everything matches `pubkey_pem`. With NULL, the bundle's own
 * public-key.pem is used, which proves only that the files match each
 * other (anyone can re-seal changed files with a key of their own): then
 * EUNTRUSTED even when everything matches (since 1.6; the report says
 * "NOT PROVEN" and gives that key's fingerprint to compare with the
 * council's). EVERIFY, ENOTFOUND (no such file), EPARSE (not a ZIP),
 * ETOOBIG, EINVAL, ENOMEM. Needs no context; any thread. Since 1.4. */
CASESCRIBE_EXTERN int32_t casescribe_sar_verify(char **report_out, const char *zip_path, const uint8_t *pubkey_pem,
                                                size_t pubkey_len);

/* ------------------------------------------------------------------------
 * Adapters
 *
 * An adapter turns a host's payload into the reference form
 * (urn:casescribe:form:1, schemas/form-1.xsd: the record model written
 * down) and the stamped reference form back into the host's payload. Every
 * function above that takes an `adapter` name looks it up here. Built in:
 * "xml" (the reference form itself) and "fhir" (an HL7 FHIR R4 Bundle, JSON
 * or XML, see adapters/fhir/README.md). A vendor registers its own at run
 * time; examples/vendor-adapter/ is a template to copy.
 *
 * Whatever an adapter's decode writes is parsed by the library's own
 * hardened parser and checked against the form schema and every rule of
 * the pipeline, exactly as a reference form sent directly would be: an
 * adapter cannot make the library accept a record it would otherwise
 * refuse. The pipeline runs the same steps whichever adapter it was called
 * through.
 *
 * Another system's payloads (contract 2, since 1.7): the home keeps one
 * signed, adapter-neutral file of external names (casescribe_names_install,
 * schemas/names-1.xsd), and on a save the library hands it, checked, to
 * decode_named. The adapter never sees keys; a stamped payload must decode
 * without the file, so that verify needs no home.
 * ------------------------------------------------------------------------ */

/* The callback contract this header describes. Set in
 * casescribe_adapter.version by casescribe_adapter_init(); a later library
 * keeps calling adapters written for an older contract the old way.
 * Contract 2 (since 1.7) adds decode_named, which also gets the home's
 * external names; an adapter built for contract 1 (a smaller struct,
 * version 1) works as before. */
#define CASESCRIBE_ADAPTER_VERSION 2u

/* A growable byte buffer the library owns; callbacks append their output
 * to it. */
typedef struct casescribe_buf casescribe_buf;

/* Appends `len` bytes. Errors: EINVAL, ENOMEM, ETOOBIG (the buffer would
 * pass 4 * CASESCRIBE_MAX_PAYLOAD bytes). Only inside the callback the
 * buffer was given to. Since 1.5. */
CASESCRIBE_EXTERN int32_t casescribe_buf_append(casescribe_buf *buf, const uint8_t *data, size_t len);

/* Sets the calling thread's casescribe_last_error() message and returns
 * `status`, so that a callback can `return casescribe_set_error(...)`.
 * The message should name what was wrong (an element, a field), never
 * personal data or section text. Any thread. Since 1.5. */
CASESCRIBE_EXTERN int32_t casescribe_set_error(int32_t status, const char *message);

/* Payload -> reference form: append the form to `form_out`. Return OK or
 * EPARSE (not well-formed), ESCHEMA (well-formed but not a form), ETOOBIG,
 * ENOMEM, EINVAL, with casescribe_set_error(); any other value is reported
 * as EINTERNAL. `payload` is hostile input: bound every loop and size. */
typedef int32_t casescribe_adapter_decode_fn(void *user, casescribe_buf *form_out, const uint8_t *payload,
                                             size_t payload_len);

/* Contract 2: decode, for payloads another system wrote in its own names.
 * As casescribe_adapter_decode_fn, plus `names`: the home's external names
 * file (<home>/names.xml, urn:casescribe:names:1, schemas/names-1.xsd:
 * which identifier systems name a record, the team such records belong
 * to, which template each of the other system's forms is), as the library
 * read it after checking the home's signature on it, on a save and when a
 * fill or transcription job reads its form. NULL, names_len 0, when the
 * home has none, and on every other call (verify, casescribe_record_open,
 * a SAR...): a stamped payload must therefore decode without it. An
 * unsigned or edited file never reaches the adapter: the call fails first
 * (EVERIFY). The bytes are the library's, valid during the call. Added in
 * 1.7 (contract 2). */
typedef int32_t casescribe_adapter_decode_named_fn(void *user, casescribe_buf *form_out, const uint8_t *payload,
                                                   size_t payload_len, const uint8_t *names, size_t names_len);

/* Reference form -> payload: append the host's payload to `payload_out`.
 * `form` is the library's own output (stamped by a save, or a draft made by
 * a fill job); `original` is the payload decode was given for it, so that
 * fields the record model does not hold can be carried over. `ctx` is the
 * context of the call, for casescribe_jws_sign(). Returns as decode; a
 * save that fails here journals nothing. */
typedef int32_t casescribe_adapter_encode_fn(void *user, casescribe_buf *payload_out, casescribe_ctx *ctx,
                                             const uint8_t *form, size_t form_len, const uint8_t *original,
                                             size_t original_len);

/* Called once when an adapter is unregistered and no call is using it any
 * more (from the thread that dropped the last use). */
typedef void casescribe_adapter_destroy_fn(void *user);

/* An adapter. Fill with casescribe_adapter_init(&a, sizeof(a)) first. */
typedef struct casescribe_adapter {
    uint32_t struct_size; /* sizeof(casescribe_adapter), set by _init */
    uint32_t version;     /* CASESCRIBE_ADAPTER_VERSION, set by _init */
    const char *name;     /* required: 1-32 of a-z 0-9 - _ ; copied */
    void *user;           /* passed to every callback; the library never reads it */
    casescribe_adapter_decode_fn *decode; /* required */
    casescribe_adapter_encode_fn *encode; /* required */
    /* Called once when the adapter is unregistered and no call is using it
     * any more (from the thread that dropped the last use); may be NULL. */
    casescribe_adapter_destroy_fn *destroy;
    /* Contract 2 (since 1.7): when set, called instead of decode (which may
     * then be NULL). */
    casescribe_adapter_decode_named_fn *decode_named;
} casescribe_adapter;

/* Sets defaults (all NULL, version CASESCRIBE_ADAPTER_VERSION) and
 * struct_size. A struct_size of contract 1 (an adapter built against an
 * older header, without decode_named) gets version 1. EINVAL for a size
 * this library does not know. Any thread. Since 1.5. */
CASESCRIBE_EXTERN int32_t casescribe_adapter_init(casescribe_adapter *adapter, uint32_t struct_size);

/* Registers an adapter for the whole process (every context, and the
 * functions that take none). The struct is copied. Callbacks may run on
 * any thread, several at once (saves, verifies, jobs' workers): make them
 * thread-safe. Inside a callback call only casescribe_buf_append,
 * casescribe_set_error, casescribe_jws_sign, casescribe_jws_verify,
 * casescribe_xml_parse, casescribe_xml_free and casescribe_free. Errors: EINVAL (bad struct, size, version or name,
 * a NULL callback), ECONFLICT (the name is taken), ENOMEM. Any thread. Since 1.5. */
CASESCRIBE_EXTERN int32_t casescribe_adapter_register(const casescribe_adapter *adapter);

/* Unregisters an adapter: new calls through `name` fail with ENOTFOUND at
 * once; calls already running finish, then `destroy` is called. Built-in
 * adapters cannot be unregistered (EINVAL). ENOTFOUND for an unknown
 * name. Any thread. Since 1.5. */
CASESCRIBE_EXTERN int32_t casescribe_adapter_unregister(const char *name);

/* Installs the home's external names file (urn:casescribe:names:1,
 * schemas/names-1.xsd, at most 256 KiB): checks it, signs it with the
 * home's current key and writes it atomically to <home>/names.xml,
 * replacing any there. Adapters of contract 2 get it on every save and
 * job (see casescribe_adapter_decode_named_fn); a file there that is
 * unsigned or edited by hand makes those calls fail (EVERIFY) until it is
 * installed again or removed. With no file, adapters read payloads as before. The
 * xml is the caller's. EINVAL, EPARSE, ESCHEMA, ETOOBIG, EKEY (no signing
 * key), EIO, ENOMEM. Any thread. Since 1.7. */
CASESCRIBE_EXTERN int32_t casescribe_names_install(casescribe_ctx *ctx, const uint8_t *xml, size_t len);

/* Signs `payload` with the home's current Ed25519 key as a JSON Web
 * Signature with a detached payload (RFC 7515 appendix F, alg "EdDSA" per
 * RFC 8037): *jws_out gets "HEADER..SIGNATURE", where HEADER is the
 * base64url of {"alg":"EdDSA","kid":"<key id>"} and the signature covers
 * HEADER "." base64url(payload). Anyone holding the public key can check
 * it with any JOSE library. Free with casescribe_free(). Errors: EINVAL,
 * ENOMEM, ETOOBIG (over CASESCRIBE_MAX_PAYLOAD), EKEY. Any thread. Since 1.5. */
CASESCRIBE_EXTERN int32_t casescribe_jws_sign(char **jws_out, casescribe_ctx *ctx, const uint8_t *payload,
                                              size_t payload_len);

/* Checks a detached JWS from casescribe_jws_sign() against `payload` with
 * a public key (PEM). OK, EVERIFY (the signature does not match, or another
 * algorithm than EdDSA), EPARSE (not a detached compact JWS), EKEY (not an
 * Ed25519 public key), EINVAL, ENOMEM. Any thread. Since 1.5. */
CASESCRIBE_EXTERN int32_t casescribe_jws_verify(const char *jws, const uint8_t *pubkey_pem, size_t pubkey_len,
                                                const uint8_t *payload, size_t payload_len);

/* For adapters written in C that read XML: parses `xml` the way the library
 * parses every payload (no network, no DTD, no entities, at most
 * CASESCRIBE_MAX_XML_DEPTH deep and CASESCRIBE_MAX_PAYLOAD long). *doc_out
 * is a libxml2 `xmlDoc *` (libxml2 2.9.14 or later, the one this library
 * is linked with); free it with casescribe_xml_free(). EPARSE, ETOOBIG,
 * EINVAL, ENOMEM. Any thread. Since 1.5. */
CASESCRIBE_EXTERN int32_t casescribe_xml_parse(void **doc_out, const uint8_t *xml, size_t xml_len);
CASESCRIBE_EXTERN void casescribe_xml_free(void *doc);

#ifdef __cplusplus
}
#endif
#endif /* CASESCRIBE_H */
