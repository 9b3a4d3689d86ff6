/* SPDX-License-Identifier: Apache-2.0 */
/* floor.h - the floor of a save and of a verify: the work the library must
 * do for them (issue 20), done once each, as cheaply as the same libraries
 * allow, with nothing else. bench_floor measures casescribe_save and
 * casescribe_verify against it; test_floor checks that it does the same
 * work (it accepts what casescribe_save stamped, and casescribe_verify
 * accepts what it stamps).
 *
 * One floor save: one hardened parse (cs_xml_parse); XSD validation with
 * the schema compiled once and one validation context reused; the values
 * the checks need borrowed from the document (no copy); one exclusive C14N
 * pass over the form (provenance, comments, PIs and the whitespace between
 * elements hidden) from whose slices every digest is taken (form,
 * subjects, consents, each consent entry, each section); for a next
 * version, one C14N of the incoming provenance and one Ed25519 verify; the
 * consent state (cs_consent_evaluate); the fingerprints (mh3 of every
 * section, mh1 of human ones) and the text MAC of AI sections; the
 * provenance built once, in the form's own document, and canonicalised
 * once; one Ed25519 sign; one serialisation; and the store's own commit of
 * the same ledger entry (the head read, the ledger tail, the append, the
 * signed checkpoint the store writes at each commit). With index_rows 0
 * the entry carries its prints under other keys, so the fingerprint index
 * writes no rows for it (same size): the index's share is the difference.
 *
 * Limits (a benchmark, not a second implementation): the form must use the
 * default namespace without prefixes and carry no <cite> or `final`
 * attribute written otherwise than the library writes it; the floor
 * applies no policy, review or laundering rule (they are C loops and
 * index reads the library does besides). */
#ifndef CS_FLOOR_H
#define CS_FLOOR_H

#include <stddef.h>
#include <stdint.h>

typedef struct floor_ctx floor_ctx;

/* Opens the floor on the home `home` (which must hold a signing key): its
 * own store connection, keyring and fingerprint secret. nosync as
 * CASESCRIBE_OPEN_NO_SYNC. 0 or -1. */
int floor_open(floor_ctx **out, const char *home, int nosync);
void floor_close(floor_ctx *f);
/* Whether save entries carry their prints where the index reads them (1,
 * the default) or under other keys of the same size (0). */
void floor_set_index_rows(floor_ctx *f, int on);

/* Stamps the form `xml` (a new record, or the latest stamped version of
 * one) as actor `actor`; *out (malloc'd) gets the stamped record. 0, or -1
 * with a reason on stderr. */
int floor_save(floor_ctx *f, const char *actor, const uint8_t *xml, size_t len, uint8_t **out, size_t *out_len);
/* 0 when the stamped record verifies (signature and every digest), -1 not. */
int floor_verify(floor_ctx *f, const uint8_t *xml, size_t len);

#endif
