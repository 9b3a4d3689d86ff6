/* journal.c - the append-only, hash-chained journal (see journal.h).
 *
 * Frame: u32 LE payload length | u32 LE crc32(payload) | payload, where the
 * payload is json_dumps(entry, JSON_COMPACT | JSON_SORT_KEYS) carrying "seq"
 * (1, 2, 3 ...) and "prev" (hex SHA-256 of the previous payload).
 *
 * Locks, always taken in this order:
 *   j->lock  held from cs_journal_lock() to cs_journal_unlock(): one appender
 *            per handle, and every change to end/seq/prev/offsets;
 *   flock    on the file, right after j->lock: one appender per file;
 *   j->meta  held only for a moment around the fields readers look at (seq,
 *            end, prev, offsets), so cs_journal_read_entry() never waits for
 *            an appender's fdatasync.
 *
 * Messages name entry numbers, byte offsets and errno text only: the journal
 * path may hold a user name, and entries are never quoted. */
#include "journal/journal.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "internal.h"

#define FRAME_HEADER 8u
#define HASH_HEX 65
/* No JSON object is shorter than "{}" (and ours always hold seq and prev):
 * lengths 0 and 1 are damage, such as the zeros a crash can leave. */
#define MIN_PAYLOAD 2u
/* Looking for intact frames after a bad one costs one crc32 per candidate;
 * past this many checksummed bytes we stop and call the damage a corrupt
 * middle, which keeps the evidence instead of cutting it. */
#define RESYNC_BUDGET (64u * CS_JOURNAL_MAX_ENTRY)

struct cs_journal {
    pthread_mutex_t lock;
    pthread_mutex_t meta;
    int fd;
    uint32_t flags;
    atomic_int failed;       /* read without locks by cs_journal_failed() */
    char failure[192];       /* why, "journal entry N at byte X: ..." */
    uint64_t end;            /* just past the last good frame read or written */
    uint64_t seq;            /* seq of that frame (0: none) */
    char prev[HASH_HEX];     /* hex SHA-256 of its payload ("": none) */
    _Atomic uint64_t truncated; /* bytes of torn tail cut off by this handle */
    uint64_t *offsets;       /* offsets[seq - 1]: where entry seq starts */
    size_t cap_offsets;
};

/* One forward pass over frames. The caller fills the start state. */
struct scan {
    int fd;
    uint64_t size;        /* read up to here */
    uint64_t end;         /* just past the last good frame */
    uint64_t seq;         /* its seq */
    char prev[HASH_HEX];  /* its hash */
    uint64_t count;       /* good frames read by this pass */
    uint64_t visit_after; /* entries up to this seq were visited before */
    cs_journal *owner;    /* when set, good frames' offsets are kept there */
    int bad;              /* a bad frame starts at `end` */
    int forged;           /* ...with good CRC and JSON but the wrong seq/prev */
    int past_eof;         /* ...whose header or payload is cut by EOF */
    const char *reason;   /* static text for the bad frame */
    int32_t err;          /* non-zero: I/O, memory or visit error (message set) */
};

/* ---- small helpers ------------------------------------------------------ */

static uint32_t get_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put_le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static uint32_t crc_of(const uint8_t *data, size_t len)
{
    return (uint32_t)crc32(0L, data, (uInt)len); /* len <= CS_JOURNAL_MAX_ENTRY fits uInt */
}

static int sha256_hex(char out[HASH_HEX], const void *data, size_t len)
{
    uint8_t md[32];
    if (EVP_Digest(data, len, md, NULL, EVP_sha256(), NULL) != 1) {
        ERR_clear_error(); /* leave the host's OpenSSL error queue as we found it */
        return -1;
    }
    cs_hex(out, md, sizeof(md));
    return 0;
}

/* pread until done. An early EOF means the file shrank under us. */
static int read_exact(int fd, void *buf, size_t len, uint64_t offset)
{
    uint8_t *p = buf;
    while (len > 0) {
        ssize_t n = pread(fd, p, len, (off_t)offset);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n == 0)
                errno = EIO;
            return -1;
        }
        p += n;
        len -= (size_t)n;
        offset += (uint64_t)n;
    }
    return 0;
}

static int write_all(int fd, const uint8_t *p, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n == 0)
                errno = EIO; /* no progress and no reason: do not spin */
            return -1;
        }
        p += n; /* short write (disk full, file size limit): write the rest */
        len -= (size_t)n;
    }
    return 0;
}

static int lock_file(int fd, int how)
{
    while (flock(fd, how) != 0)
        if (errno != EINTR)
            return -1;
    return 0;
}

/* ---- the handle's state ------------------------------------------------- */

static void fail_journal(cs_journal *j, uint64_t entry, uint64_t offset, const char *reason, int err)
{
    snprintf(j->failure, sizeof(j->failure), "journal entry %llu at byte %llu: %s%s%s%s", (unsigned long long)entry,
             (unsigned long long)offset, reason, err ? " (" : "", err ? strerror(err) : "", err ? ")" : "");
    atomic_store(&j->failed, 1);
}

/* Makes room for entry `seq`'s offset before anything irreversible, so that
 * remembering it later cannot fail. Caller holds j->lock (or owns j alone). */
static int reserve_offsets(cs_journal *j, uint64_t seq)
{
    if (seq <= j->cap_offsets)
        return 0;
    size_t cap = j->cap_offsets ? j->cap_offsets : 1024;
    while (cap < seq) {
        if (cap > SIZE_MAX / 2 / sizeof(uint64_t))
            return -1;
        cap *= 2;
    }
    pthread_mutex_lock(&j->meta); /* readers index the array */
    uint64_t *grown = realloc(j->offsets, cap * sizeof(*grown));
    if (grown != NULL) {
        j->offsets = grown;
        j->cap_offsets = cap;
    }
    pthread_mutex_unlock(&j->meta);
    return grown != NULL ? 0 : -1;
}

/* Publishes a good frame: entry `seq` starts at `offset` and ends at `end`. */
static void take_frame(cs_journal *j, uint64_t seq, uint64_t offset, uint64_t end, const char hash[HASH_HEX])
{
    pthread_mutex_lock(&j->meta);
    j->offsets[seq - 1] = offset;
    j->seq = seq;
    j->end = end;
    memcpy(j->prev, hash, HASH_HEX);
    pthread_mutex_unlock(&j->meta);
}

/* ---- reading frames ----------------------------------------------------- */

static int bad_frame(struct scan *s, const char *reason)
{
    s->bad = 1;
    s->reason = reason;
    return -1;
}

static int scan_error(struct scan *s, int32_t status)
{
    s->err = status;
    return -1;
}

/* Reads the frame at s->end into *payload (malloc'd, <= CS_JOURNAL_MAX_ENTRY)
 * after checking its length against the limit and the file size, so that a
 * damaged length never becomes a huge allocation. */
static int read_frame(struct scan *s, uint8_t **payload, uint32_t *len, uint32_t *crc)
{
    uint8_t header[FRAME_HEADER];
    *payload = NULL;
    if (s->end > s->size || s->size - s->end < FRAME_HEADER) {
        s->past_eof = 1;
        return bad_frame(s, "incomplete frame header");
    }
    if (read_exact(s->fd, header, sizeof(header), s->end) != 0)
        return scan_error(s, cs_fail(CASESCRIBE_EIO, "cannot read journal entry %llu at byte %llu: %s",
                                     (unsigned long long)(s->seq + 1), (unsigned long long)s->end, strerror(errno)));
    *len = get_le32(header);
    *crc = get_le32(header + 4);
    if (*len < MIN_PAYLOAD || *len > CS_JOURNAL_MAX_ENTRY)
        return bad_frame(s, "impossible entry length");
    if (*len > s->size - s->end - FRAME_HEADER) {
        s->past_eof = 1;
        return bad_frame(s, "entry runs past the end of the file");
    }
    if ((*payload = malloc(*len)) == NULL)
        return scan_error(s, cs_fail(CASESCRIBE_ENOMEM, "out of memory reading the journal"));
    if (read_exact(s->fd, *payload, *len, s->end + FRAME_HEADER) == 0)
        return 0;
    free(*payload);
    *payload = NULL;
    return scan_error(s, cs_fail(CASESCRIBE_EIO, "cannot read journal entry %llu at byte %llu: %s",
                                 (unsigned long long)(s->seq + 1), (unsigned long long)s->end, strerror(errno)));
}

/* Checks CRC, JSON, seq and chain. Returns the parsed entry or NULL. */
static json_t *check_payload(struct scan *s, const uint8_t *payload, uint32_t len, uint32_t crc)
{
    if (crc_of(payload, len) != crc) {
        bad_frame(s, "checksum mismatch");
        return NULL;
    }
    json_error_t jerr;
    /* Duplicate keys are refused: two "seq" members could mean different
     * things to different readers. */
    json_t *entry = json_loadb((const char *)payload, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!json_is_object(entry)) {
        json_decref(entry);
        bad_frame(s, "not a JSON object");
        return NULL;
    }
    /* From here the frame was written whole: a wrong seq or prev is not a
     * torn write but frames spliced, dropped or forged. */
    const json_t *seq = json_object_get(entry, "seq");
    const char *prev = json_string_value(json_object_get(entry, "prev"));
    const char *why = NULL;
    if (!json_is_integer(seq) || json_integer_value(seq) <= 0 || (uint64_t)json_integer_value(seq) != s->seq + 1)
        why = "sequence number out of order";
    else if (prev == NULL || strcmp(prev, s->prev) != 0)
        why = "hash chain broken (prev does not match the entry before)";
    if (why == NULL)
        return entry;
    json_decref(entry);
    s->forged = 1;
    bad_frame(s, why);
    return NULL;
}

/* A good frame: remember it, visit it, move on. On a visit error the scan
 * stays before the entry, so that it is offered again next time. */
static int accept_frame(struct scan *s, json_t *entry, const char hash[HASH_HEX], uint32_t len,
                        cs_journal_visit visit, void *user)
{
    uint64_t seq = s->seq + 1, next = s->end + FRAME_HEADER + len;
    if (s->owner != NULL && reserve_offsets(s->owner, seq) != 0)
        return scan_error(s, cs_fail(CASESCRIBE_ENOMEM, "out of memory reading the journal"));
    if (visit != NULL && seq > s->visit_after) {
        int rc = visit(entry, user);
        if (rc != 0)
            return scan_error(s, rc);
    }
    if (s->owner != NULL)
        take_frame(s->owner, seq, s->end, next, hash);
    s->seq = seq;
    s->end = next;
    memcpy(s->prev, hash, HASH_HEX);
    s->count++;
    return 0;
}

/* Reads, checks and accepts the frame at s->end. 0: go on; -1: stop. */
static int scan_frame(struct scan *s, cs_journal_visit visit, void *user)
{
    uint8_t *payload;
    uint32_t len = 0, crc = 0;
    if (read_frame(s, &payload, &len, &crc) != 0)
        return -1;
    char hash[HASH_HEX];
    json_t *entry = check_payload(s, payload, len, crc);
    int hashed = entry != NULL && sha256_hex(hash, payload, len) == 0;
    free(payload);
    int rc = -1;
    if (entry != NULL && !hashed)
        scan_error(s, cs_fail(CASESCRIBE_EINTERNAL, "SHA-256 failed reading the journal"));
    else if (entry != NULL)
        rc = accept_frame(s, entry, hash, len, visit, user);
    json_decref(entry);
    return rc;
}

/* Reads frames from s->end up to s->size, stopping at the first bad one. */
static void scan_run(struct scan *s, cs_journal_visit visit, void *user)
{
    while (s->end < s->size && scan_frame(s, visit, user) == 0)
        ;
}

static void scan_init(struct scan *s, int fd, uint64_t size)
{
    memset(s, 0, sizeof(*s));
    s->fd = fd;
    s->size = size;
}

/* ---- torn tail or corrupt middle ---------------------------------------- */

/* 1 when a complete frame with a matching CRC starts at buf[i]. A payload is
 * compact JSON and never holds a NUL byte, while every length field does
 * (lengths are < 2^24): so an intact frame cannot hide inside a torn one. */
static int frame_at(const uint8_t *buf, size_t n, size_t i, uint64_t *budget)
{
    uint32_t len = get_le32(buf + i);
    if (len < MIN_PAYLOAD || len > CS_JOURNAL_MAX_ENTRY || len > n - i - FRAME_HEADER)
        return 0;
    const uint8_t *p = buf + i + FRAME_HEADER;
    if (p[0] != '{' || p[len - 1] != '}')
        return 0;
    *budget = *budget > len ? *budget - len : 0;
    return crc_of(p, len) == get_le32(buf + i + 4);
}

/* Decides whether the bad frame at s->end is a torn tail (the last append,
 * cut short by a crash: safe to cut off) or damage before good entries (to
 * keep as evidence). One torn append leaves at most one frame's bytes, with
 * no intact frame after its start; anything else is a corrupt middle. This
 * stops a bit flip in a length field from cutting off good entries.
 * Returns 1 (tail), 0 (middle) or a negative status (message set). */
static int32_t is_torn_tail(const struct scan *s)
{
    if (s->forged)
        return 0; /* an intact frame with the wrong chain is not a torn write */
    uint64_t rest = s->size - s->end;
    if (rest > FRAME_HEADER + (uint64_t)CS_JOURNAL_MAX_ENTRY)
        return 0;
    uint8_t *buf = malloc((size_t)rest);
    if (buf == NULL)
        return cs_fail(CASESCRIBE_ENOMEM, "out of memory checking the end of the journal");
    if (read_exact(s->fd, buf, (size_t)rest, s->end) != 0) {
        int e = errno;
        free(buf);
        return cs_fail(CASESCRIBE_EIO, "cannot read the end of the journal: %s", strerror(e));
    }
    uint64_t budget = RESYNC_BUDGET;
    int intact_after = 0;
    for (size_t i = 1; !intact_after && budget > 0 && i + FRAME_HEADER < rest; i++)
        intact_after = frame_at(buf, (size_t)rest, i, &budget);
    free(buf);
    return !intact_after && budget > 0;
}

/* Cuts the torn tail at s->end. Caller holds the flock, so that two
 * processes opening at once do not both cut (the second sees the new size). */
static void cut_tail(cs_journal *j, const struct scan *s)
{
    if (ftruncate(j->fd, (off_t)s->end) != 0 || fsync(j->fd) != 0) {
        /* Appending after the garbage would bury it in the middle. */
        fail_journal(j, s->seq + 1, s->end, "a torn tail could not be cut off", errno);
        return;
    }
    atomic_fetch_add(&j->truncated, s->size - s->end);
}

/* Applies what a scan found beyond its good frames. Caller holds the flock.
 * A corrupt middle is not an error of the call: the handle just refuses
 * appends, so that `casescribe journal verify` can still open and name it. */
static int32_t settle_scan(cs_journal *j, const struct scan *s)
{
    if (s->err != 0)
        return s->err;
    if (!s->bad)
        return CASESCRIBE_OK;
    int32_t tail = is_torn_tail(s);
    if (tail < 0)
        return tail; /* no memory or I/O: decide nothing, cut nothing */
    if (tail)
        cut_tail(j, s);
    else
        fail_journal(j, s->seq + 1, s->end, s->reason, 0);
    return CASESCRIBE_OK;
}

/* Forgets every frame, before a re-read from the start. */
static void forget_frames(cs_journal *j)
{
    pthread_mutex_lock(&j->meta);
    j->seq = 0;
    j->end = 0;
    j->prev[0] = '\0';
    pthread_mutex_unlock(&j->meta);
}

/* Reads frames appended since this handle last looked. Caller holds the
 * flock (and j->lock once the handle is shared).
 * A file shorter than what we read cannot come from cutting a torn tail (we
 * never read past the last good frame): entries we, and perhaps our caller,
 * took as durable are gone. Re-read from the start, visiting only entries
 * not seen before, so that seq, prev and offsets describe the file as it is;
 * then refuse appends rather than hand out those seqs a second time. */
static int32_t catch_up(cs_journal *j, cs_journal_visit visit, void *user)
{
    struct stat st;
    if (fstat(j->fd, &st) != 0)
        return cs_fail(CASESCRIBE_EIO, "cannot read the journal: %s", strerror(errno));
    uint64_t size = (uint64_t)st.st_size;
    if (size == j->end)
        return CASESCRIBE_OK;
    int shrank = size < j->end;
    struct scan s;
    scan_init(&s, j->fd, size);
    s.owner = j;
    if (shrank) {
        s.visit_after = j->seq;
        forget_frames(j);
    } else {
        s.end = j->end;
        s.seq = j->seq;
        memcpy(s.prev, j->prev, HASH_HEX);
    }
    scan_run(&s, visit, user);
    int32_t rc = settle_scan(j, &s);
    if (shrank) /* even when rc says why the re-read stopped */
        fail_journal(j, s.seq + 1, s.end, "the journal shrank: entries read before are gone", 0);
    return rc;
}

/* ---- open and close ----------------------------------------------------- */

/* Opens the file, creating it 0600. A new file's name lives in the folder:
 * fsync the folder too, or a crash could lose the whole journal. */
static int32_t open_file(cs_journal *j, const char *path)
{
    const int mode = O_RDWR | O_APPEND | O_CLOEXEC | O_NOFOLLOW;
    int created = 0;
    j->fd = open(path, mode);
    if (j->fd < 0 && errno == ENOENT) {
        j->fd = open(path, mode | O_CREAT | O_EXCL, 0600);
        created = j->fd >= 0;
        if (j->fd < 0 && errno == EEXIST) /* another process made it first */
            j->fd = open(path, mode);
    }
    if (j->fd < 0)
        return cs_fail(CASESCRIBE_EIO, "cannot open the journal: %s", strerror(errno));
    struct stat st;
    if (fstat(j->fd, &st) != 0 || !S_ISREG(st.st_mode))
        return cs_fail(CASESCRIBE_EIO, "the journal is not a regular file");
    if (created && cs_fsync_parent(path) != 0)
        return cs_fail(CASESCRIBE_EIO, "cannot make the new journal durable: %s", strerror(errno));
    return CASESCRIBE_OK;
}

static cs_journal *new_handle(uint32_t flags)
{
    cs_journal *j = calloc(1, sizeof(*j));
    if (j == NULL)
        return NULL;
    j->fd = -1;
    j->flags = flags;
    atomic_init(&j->failed, 0);
    atomic_init(&j->truncated, 0);
    if (pthread_mutex_init(&j->lock, NULL) != 0) {
        free(j);
        return NULL;
    }
    if (pthread_mutex_init(&j->meta, NULL) != 0) {
        pthread_mutex_destroy(&j->lock);
        free(j);
        return NULL;
    }
    return j;
}

/* The first read, under the flock so that only one process cuts a torn tail. */
static int32_t first_read(cs_journal *j, cs_journal_visit visit, void *user)
{
    if (lock_file(j->fd, LOCK_EX) != 0)
        return cs_fail(CASESCRIBE_EIO, "cannot lock the journal: %s", strerror(errno));
    int32_t rc = catch_up(j, visit, user);
    lock_file(j->fd, LOCK_UN);
    return rc;
}

int32_t cs_journal_open(cs_journal **out, const char *path, uint32_t flags, cs_journal_visit visit, void *user)
{
    if (out == NULL || path == NULL)
        return cs_fail(CASESCRIBE_EINVAL, "cs_journal_open: NULL argument");
    *out = NULL;
    cs_journal *j = new_handle(flags);
    if (j == NULL)
        return cs_fail(CASESCRIBE_ENOMEM, "out of memory opening the journal");
    int32_t rc = open_file(j, path);
    if (rc == CASESCRIBE_OK)
        rc = first_read(j, visit, user);
    if (rc != CASESCRIBE_OK) {
        cs_journal_close(j);
        return rc;
    }
    *out = j;
    return CASESCRIBE_OK;
}

void cs_journal_close(cs_journal *j)
{
    if (j == NULL)
        return;
    if (j->fd >= 0)
        close(j->fd);
    pthread_mutex_destroy(&j->meta);
    pthread_mutex_destroy(&j->lock);
    free(j->offsets);
    free(j);
}

uint64_t cs_journal_truncated_bytes(const cs_journal *j)
{
    return j != NULL ? atomic_load(&j->truncated) : 0;
}

int cs_journal_failed(const cs_journal *j)
{
    return j == NULL || atomic_load(&j->failed) != 0;
}

/* ---- lock, append, unlock ----------------------------------------------- */

int32_t cs_journal_lock(cs_journal *j, cs_journal_visit visit, void *user)
{
    if (j == NULL)
        return cs_fail(CASESCRIBE_EINVAL, "cs_journal_lock: the journal is NULL");
    if (pthread_mutex_lock(&j->lock) != 0)
        return cs_fail(CASESCRIBE_EINTERNAL, "cannot lock the journal mutex");
    if (lock_file(j->fd, LOCK_EX) != 0) {
        int e = errno;
        pthread_mutex_unlock(&j->lock);
        return cs_fail(CASESCRIBE_EIO, "cannot lock the journal: %s", strerror(e));
    }
    /* A failed journal has nothing trustworthy to read on from; the lock is
     * still granted and cs_journal_append_locked() names the failure. */
    int32_t rc = cs_journal_failed(j) ? CASESCRIBE_OK : catch_up(j, visit, user);
    if (rc != CASESCRIBE_OK)
        cs_journal_unlock(j);
    return rc;
}

void cs_journal_unlock(cs_journal *j)
{
    if (j == NULL)
        return;
    lock_file(j->fd, LOCK_UN);
    pthread_mutex_unlock(&j->lock);
}

/* Serialises the entry, with seq and prev set, into a whole frame. Sized
 * first with json_dumpb so an oversize entry is refused without building it. */
static int32_t make_frame(cs_journal *j, json_t *entry, uint8_t **frame, size_t *frame_len, char hash[HASH_HEX])
{
    const size_t fl = JSON_COMPACT | JSON_SORT_KEYS;
    *frame = NULL;
    if (json_object_set_new(entry, "seq", json_integer((json_int_t)(j->seq + 1))) != 0 ||
        json_object_set_new(entry, "prev", json_string(j->prev)) != 0)
        return cs_fail(CASESCRIBE_ENOMEM, "out of memory building journal entry %llu", (unsigned long long)(j->seq + 1));
    size_t len = json_dumpb(entry, NULL, 0, fl);
    if (len == 0)
        return cs_fail(CASESCRIBE_ENOMEM, "cannot serialise journal entry %llu", (unsigned long long)(j->seq + 1));
    if (len > CS_JOURNAL_MAX_ENTRY)
        return cs_fail(CASESCRIBE_ETOOBIG, "journal entry %llu is %zu bytes, over the limit of %u",
                       (unsigned long long)(j->seq + 1), len, (unsigned)CS_JOURNAL_MAX_ENTRY);
    uint8_t *buf = malloc(FRAME_HEADER + len);
    if (buf == NULL)
        return cs_fail(CASESCRIBE_ENOMEM, "out of memory building journal entry %llu", (unsigned long long)(j->seq + 1));
    uint8_t *payload = buf + FRAME_HEADER;
    if (json_dumpb(entry, (char *)payload, len, fl) != len || sha256_hex(hash, payload, len) != 0) {
        free(buf);
        return cs_fail(CASESCRIBE_EINTERNAL, "cannot serialise journal entry %llu", (unsigned long long)(j->seq + 1));
    }
    put_le32(buf, (uint32_t)len);
    put_le32(buf + 4, crc_of(payload, len));
    *frame = buf;
    *frame_len = FRAME_HEADER + len;
    return CASESCRIBE_OK;
}

/* A write or flush failed: the kernel may have dropped the pages, so the
 * entry is never acknowledged and nothing after it either. Cut back what we
 * may have written (a later open would cut it as a torn tail anyway). */
static int32_t lost_write(cs_journal *j, const char *what, int err)
{
    if (ftruncate(j->fd, (off_t)j->end) != 0) {
        /* nothing more to do: the journal is failed either way */
    }
    fail_journal(j, j->seq + 1, j->end, what, err);
    return cs_fail(CASESCRIBE_EJOURNAL, "%s", j->failure);
}

int32_t cs_journal_append_locked(cs_journal *j, json_t *entry, uint64_t *seq_out, char *hash_out)
{
    if (seq_out != NULL)
        *seq_out = 0;
    if (hash_out != NULL)
        hash_out[0] = '\0';
    if (j == NULL || !json_is_object(entry))
        return cs_fail(CASESCRIBE_EINVAL, "cs_journal_append_locked: NULL journal or entry not an object");
    if (cs_journal_failed(j))
        return cs_fail(CASESCRIBE_EJOURNAL, "%s", j->failure);
    if (reserve_offsets(j, j->seq + 1) != 0)
        return cs_fail(CASESCRIBE_ENOMEM, "out of memory appending to the journal");
    uint8_t *frame;
    size_t frame_len = 0;
    char hash[HASH_HEX];
    int32_t rc = make_frame(j, entry, &frame, &frame_len, hash);
    if (rc != CASESCRIBE_OK)
        return rc;
    int failed_write = write_all(j->fd, frame, frame_len) != 0;
    int e = errno;
    free(frame);
    if (failed_write)
        return lost_write(j, "write failed", e);
    if (!(j->flags & CS_JOURNAL_NO_SYNC) && fdatasync(j->fd) != 0)
        return lost_write(j, "fdatasync failed", errno);
    uint64_t seq = j->seq + 1;
    take_frame(j, seq, j->end, j->end + frame_len, hash);
    if (seq_out != NULL)
        *seq_out = seq;
    if (hash_out != NULL)
        memcpy(hash_out, hash, HASH_HEX);
    return CASESCRIBE_OK;
}

/* ---- read-only access --------------------------------------------------- */

static int32_t open_readonly(int *fd, uint64_t *size, const char *path)
{
    *fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (*fd < 0)
        return cs_fail(errno == ENOENT ? CASESCRIBE_ENOTFOUND : CASESCRIBE_EIO, "cannot open the journal: %s",
                       strerror(errno));
    struct stat st;
    if (fstat(*fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(*fd);
        *fd = -1;
        return cs_fail(CASESCRIBE_EIO, "the journal is not a readable regular file");
    }
    *size = (uint64_t)st.st_size;
    return CASESCRIBE_OK;
}

static int32_t report_bad(const struct scan *s)
{
    return cs_fail(CASESCRIBE_EJOURNAL, "journal entry %llu at byte %llu: %s", (unsigned long long)(s->seq + 1),
                   (unsigned long long)s->end, s->reason);
}

int32_t cs_journal_verify_file(const char *path, uint64_t *count_out, cs_journal_visit visit, void *user)
{
    if (count_out != NULL)
        *count_out = 0;
    if (path == NULL)
        return cs_fail(CASESCRIBE_EINVAL, "cs_journal_verify_file: path is NULL");
    int fd;
    struct scan s;
    uint64_t size;
    int32_t rc = open_readonly(&fd, &size, path);
    if (rc != CASESCRIBE_OK)
        return rc;
    scan_init(&s, fd, size);
    scan_run(&s, visit, user);
    close(fd);
    if (count_out != NULL)
        *count_out = s.count;
    if (s.err != 0)
        return s.err;
    return s.bad ? report_bad(&s) : CASESCRIBE_OK;
}

/* Reads the entry this handle saw at `offset`, checking length, CRC and seq
 * again: the file may have been damaged since. */
static int32_t read_known(json_t **out, int fd, uint64_t offset, uint64_t seq, uint64_t size)
{
    struct scan s;
    scan_init(&s, fd, size);
    s.end = offset;
    s.seq = seq - 1;
    uint8_t *payload;
    uint32_t len = 0, crc = 0;
    if (read_frame(&s, &payload, &len, &crc) != 0)
        return s.err != 0 ? s.err : report_bad(&s);
    json_error_t jerr;
    int ok = crc_of(payload, len) == crc;
    *out = ok ? json_loadb((const char *)payload, len, JSON_REJECT_DUPLICATES, &jerr) : NULL;
    free(payload);
    const json_t *got = json_object_get(*out, "seq");
    if (json_is_integer(got) && json_integer_value(got) == (json_int_t)seq)
        return CASESCRIBE_OK;
    json_decref(*out);
    *out = NULL;
    return cs_fail(CASESCRIBE_EJOURNAL, "journal entry %llu at byte %llu: %s", (unsigned long long)seq,
                   (unsigned long long)offset, ok ? "changed since it was checked" : "checksum mismatch");
}

struct find {
    uint64_t seq;
    json_t *found;
};

static int find_seq(const json_t *entry, void *user)
{
    struct find *f = user;
    if ((uint64_t)json_integer_value(json_object_get(entry, "seq")) != f->seq)
        return 0;
    f->found = json_deep_copy(entry);
    return 1; /* stop: found (or out of memory when found is NULL) */
}

/* Scans forward from a known good point for an entry other processes
 * appended. A frame cut by EOF may be an append in progress: not found yet. */
static int32_t read_by_scan(json_t **out, struct scan *s, uint64_t seq)
{
    struct find f = {seq, NULL};
    scan_run(s, find_seq, &f);
    if (s->err == 1 && f.found != NULL) {
        *out = f.found;
        return CASESCRIBE_OK;
    }
    if (s->err == 1)
        return cs_fail(CASESCRIBE_ENOMEM, "out of memory reading journal entry %llu", (unsigned long long)seq);
    if (s->err != 0)
        return s->err;
    if (s->bad && !s->past_eof)
        return report_bad(s);
    return cs_fail(CASESCRIBE_ENOTFOUND, "the journal has no entry %llu", (unsigned long long)seq);
}

static int32_t read_by_path(json_t **out, const char *path, uint64_t seq)
{
    int fd;
    uint64_t size;
    int32_t rc = open_readonly(&fd, &size, path);
    if (rc != CASESCRIBE_OK)
        return rc;
    struct scan s;
    scan_init(&s, fd, size);
    rc = read_by_scan(out, &s, seq);
    close(fd);
    return rc;
}

/* Copies what the handle has read into a scan start, and says where entry
 * `seq` is when the handle has seen it. Appenders hold j->meta only for a
 * moment, so a reader never waits for an fdatasync. */
static int snapshot(cs_journal *j, struct scan *s, uint64_t seq, uint64_t *offset)
{
    pthread_mutex_lock(&j->meta);
    int known = seq <= j->seq;
    *offset = known ? j->offsets[seq - 1] : 0;
    s->end = j->end;
    s->seq = j->seq;
    memcpy(s->prev, j->prev, HASH_HEX);
    pthread_mutex_unlock(&j->meta);
    return known;
}

/* With a handle, its own descriptor is read: the very file it appends to,
 * even if `path` was renamed or replaced since. */
int32_t cs_journal_read_entry(json_t **out, cs_journal *j, const char *path, uint64_t seq)
{
    if (out == NULL)
        return cs_fail(CASESCRIBE_EINVAL, "cs_journal_read_entry: out is NULL");
    *out = NULL;
    if (j == NULL && path == NULL)
        return cs_fail(CASESCRIBE_EINVAL, "cs_journal_read_entry: no journal and no path");
    if (seq == 0)
        return cs_fail(CASESCRIBE_ENOTFOUND, "the journal has no entry 0");
    if (j == NULL)
        return read_by_path(out, path, seq);
    struct stat st;
    if (fstat(j->fd, &st) != 0)
        return cs_fail(CASESCRIBE_EIO, "cannot read the journal: %s", strerror(errno));
    struct scan s;
    scan_init(&s, j->fd, (uint64_t)st.st_size);
    uint64_t offset;
    if (snapshot(j, &s, seq, &offset))
        return read_known(out, j->fd, offset, seq, s.size);
    return read_by_scan(out, &s, seq);
}
