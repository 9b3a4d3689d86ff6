/* SPDX-License-Identifier: Apache-2.0 */
/* import.c - the one-time import of a home's old journal.log.
 *
 * journal.log framed each entry as  u32 LE length | u32 LE crc32 | payload
 * (the payload as the ledger keeps it). The whole file is checked (every
 * frame, CRC, seq and chain) and copied byte for byte in one write
 * transaction, so that entries keep their hashes; then the file is made
 * read-only and renamed journal.log.imported. A frame cut short by the end
 * of the file was never acknowledged (a crash during its append): it is
 * left out, as opening the old journal cut it. Any other damage refuses the
 * import and names the entry. Messages hold entry numbers and offsets only. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <openssl/err.h>
#include <openssl/evp.h>

#include "internal.h"
#include "store/backend.h"

#define FRAME_HEADER 8u

struct reader {
    FILE *f;
    uint64_t offset, seq;
    char prev[CS_STORE_HASH_LEN];
    char *buf;
    size_t len;
    json_t *entry; /* the last frame read */
};

static uint32_t get_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static int32_t damaged(const struct reader *r, const char *why)
{
    return cs_fail(CASESCRIBE_EJOURNAL,
                   "journal.log entry %llu at byte %llu: %s. Nothing was imported into the ledger: restore "
                   "journal.log from a backup (or move it aside to start an empty ledger)",
                   (unsigned long long)(r->seq + 1), (unsigned long long)r->offset, why);
}

/* Checks the frame just read against the chain; sets r->entry. */
static int32_t check_frame(struct reader *r, uint32_t crc)
{
    char hash[CS_STORE_HASH_LEN];
    uint8_t md[32];
    if ((uint32_t)crc32(0L, (const Bytef *)r->buf, (uInt)r->len) != crc)
        return damaged(r, "checksum mismatch");
    json_decref(r->entry);
    r->entry = json_loadb(r->buf, r->len, JSON_REJECT_DUPLICATES, NULL);
    const char *prev = json_string_value(json_object_get(r->entry, "prev"));
    json_int_t seq = json_integer_value(json_object_get(r->entry, "seq"));
    if (!json_is_object(r->entry))
        return damaged(r, "not a JSON object");
    if (seq <= 0 || (uint64_t)seq != r->seq + 1 || prev == NULL || strcmp(prev, r->prev) != 0)
        return damaged(r, "seq or prev does not continue the chain");
    if (EVP_Digest(r->buf, r->len, md, NULL, EVP_sha256(), NULL) != 1) {
        ERR_clear_error();
        return cs_fail(CASESCRIBE_EINTERNAL, "cannot hash journal.log entry %llu", (unsigned long long)seq);
    }
    cs_hex(hash, md, sizeof(md));
    memcpy(r->prev, hash, sizeof(hash));
    return CASESCRIBE_OK;
}

/* Reads the next frame: 1 with one read, 0 at the end (or a frame cut
 * short by it), or a negative error. */
static int32_t next_frame(struct reader *r, int *got)
{
    uint8_t head[FRAME_HEADER];
    *got = 0;
    size_t n = fread(head, 1, FRAME_HEADER, r->f);
    if (n < FRAME_HEADER)
        return ferror(r->f) ? cs_fail(CASESCRIBE_EIO, "cannot read journal.log: %s", strerror(errno))
                            : CASESCRIBE_OK;
    uint32_t len = get_le32(head);
    if (len < 2 || len > CS_STORE_MAX_ENTRY)
        return damaged(r, "impossible length");
    char *grown = realloc(r->buf, len);
    if (grown == NULL)
        return cs_fail(CASESCRIBE_ENOMEM, "out of memory reading journal.log");
    r->buf = grown;
    r->len = fread(r->buf, 1, len, r->f);
    if (r->len < len)
        return ferror(r->f) ? cs_fail(CASESCRIBE_EIO, "cannot read journal.log: %s", strerror(errno))
                            : CASESCRIBE_OK; /* cut by the end: never acknowledged */
    int32_t rc = check_frame(r, get_le32(head + 4));
    if (rc == CASESCRIBE_OK) {
        r->seq++;
        r->offset += FRAME_HEADER + len;
        *got = 1;
    }
    return rc;
}

/* Copies every good frame into the empty ledger (copy) or, when the
 * ledger already holds the import (a crash before the rename), checks
 * that the file's last entry is the ledger's entry of that number. */
static int32_t import_frames(cs_store_txn *tx, struct reader *r, int copy)
{
    int got = 1;
    int32_t rc = CASESCRIBE_OK;
    while (rc == CASESCRIBE_OK && got) {
        rc = next_frame(r, &got);
        if (rc == CASESCRIBE_OK && got && copy)
            rc = cs_store_put_raw(tx, r->seq, r->buf, r->len, r->entry);
    }
    return rc;
}

struct hash_at {
    uint64_t seq;
    char hash[CS_STORE_HASH_LEN];
};

static int hash_of(uint64_t seq, const char *payload, size_t len, const char *stored, void *user)
{
    struct hash_at *h = user;
    (void)payload;
    (void)len;
    h->seq = seq;
    snprintf(h->hash, sizeof(h->hash), "%s", stored);
    return 1; /* the first is the one */
}

static int32_t same_as_ledger(cs_store_txn *tx, const struct reader *r, uint64_t count)
{
    struct hash_at h = {0, ""};
    int32_t rc = r->seq == 0 ? CASESCRIBE_OK : cs_store_walk(tx, r->seq, hash_of, &h);
    if (rc == 1)
        rc = CASESCRIBE_OK;
    if (rc == CASESCRIBE_OK && (r->seq > count || h.seq != r->seq || strcmp(h.hash, r->prev) != 0))
        rc = cs_fail(CASESCRIBE_EJOURNAL,
                     "the home holds a ledger of %llu entries and a journal.log of %llu that is not part of it: "
                     "move journal.log aside once you know which one is right",
                     (unsigned long long)count, (unsigned long long)r->seq);
    return rc;
}

/* Keeps the old file, read-only, beside the ledger. */
static int32_t retire(const char *path)
{
    char done[4096];
    if (snprintf(done, sizeof(done), "%s.imported", path) >= (int)sizeof(done))
        return cs_fail(CASESCRIBE_EINVAL, "the home path is too long");
    if (chmod(path, 0400) != 0 || rename(path, done) != 0 || cs_fsync_parent(done) != 0)
        return cs_fail(CASESCRIBE_EIO, "imported journal.log into the ledger, but cannot rename it: %s",
                       strerror(errno));
    return CASESCRIBE_OK;
}

int32_t cs_store_import_journal(cs_store *st, const char *path)
{
    struct reader r = {NULL, 0, 0, "", NULL, 0, NULL};
    if ((r.f = fopen(path, "rbe")) == NULL)
        return cs_fail(CASESCRIBE_EIO, "cannot open journal.log: %s", strerror(errno));
    cs_store_txn *tx = NULL;
    uint64_t count = 0;
    char tail[CS_STORE_HASH_LEN];
    int32_t rc = cs_store_begin(st, CS_STORE_WRITE, &tx);
    if (rc == CASESCRIBE_OK)
        rc = cs_store_ledger_tail(tx, &count, tail);
    if (rc == CASESCRIBE_OK)
        rc = import_frames(tx, &r, count == 0);
    if (rc == CASESCRIBE_OK && count > 0)
        rc = same_as_ledger(tx, &r, count);
    fclose(r.f);
    free(r.buf);
    json_decref(r.entry);
    if (rc != CASESCRIBE_OK) {
        cs_store_rollback(tx);
        return rc;
    }
    rc = cs_store_commit(tx);
    return rc == CASESCRIBE_OK ? retire(path) : rc;
}

int32_t cs_store_import_pending(cs_store *st, const char *home)
{
    char path[4096];
    struct stat sb;
    if (snprintf(path, sizeof(path), "%s/journal.log", home) >= (int)sizeof(path))
        return cs_fail(CASESCRIBE_EINVAL, "the home path is too long");
    if (stat(path, &sb) != 0)
        return errno == ENOENT ? CASESCRIBE_OK : cs_fail(CASESCRIBE_EIO, "cannot read journal.log: %s", strerror(errno));
    return cs_store_import_journal(st, path);
}
