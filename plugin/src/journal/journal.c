/* journal.c - the append-only, hash-chained journal (see journal.h). */
#include "journal/journal.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "internal.h"

#define FRAME_HEADER 8
#define HASH_HEX 65

struct cs_journal {
    pthread_mutex_t lock;
    int fd;
    uint32_t flags;
    int failed;
    char failure[256];
    uint64_t end;        /* offset just past the last good frame read or written */
    uint64_t seq;        /* seq of that frame (0: none) */
    char prev[HASH_HEX]; /* hex SHA-256 of its payload ("" : none) */
    uint64_t truncated;  /* bytes of torn tail cut off */
    uint64_t *offsets;   /* byte offset of entry seq at offsets[seq - 1], for reads by seq */
    size_t cap_offsets;
};

/* What a forward read of the frames found. */
struct scan {
    uint64_t end;     /* just past the last good frame */
    uint64_t seq;     /* its seq */
    char prev[HASH_HEX];
    uint64_t count;   /* good frames read in this scan */
    int bad;          /* a bad frame starts at `end` */
    int tail;         /* ...and it reaches the end of the file (a torn write) */
    char reason[96];
    int32_t visit_rc; /* non-zero when visit stopped the scan */
    cs_journal *owner; /* when set, good frames' offsets are remembered there */
};

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

static int sha256_hex(char out[HASH_HEX], const void *data, size_t len)
{
    uint8_t md[32];
    if (EVP_Digest(data, len, md, NULL, EVP_sha256(), NULL) != 1) {
        ERR_clear_error();
        return -1;
    }
    cs_hex(out, md, sizeof(md));
    return 0;
}

static int read_exact(int fd, void *buf, size_t len, uint64_t offset)
{
    uint8_t *p = buf;
    while (len > 0) {
        ssize_t n = pread(fd, p, len, (off_t)offset);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
        offset += (uint64_t)n;
    }
    return 0;
}

/* Remembers where entry `seq` starts. Caller holds j->lock (or owns j alone). */
static int remember_offset(cs_journal *j, uint64_t seq, uint64_t offset)
{
    if (seq > j->cap_offsets) {
        size_t cap = j->cap_offsets ? j->cap_offsets * 2 : 1024;
        while (cap < seq)
            cap *= 2;
        uint64_t *grown = realloc(j->offsets, cap * sizeof(*grown));
        if (grown == NULL)
            return -1;
        j->offsets = grown;
        j->cap_offsets = cap;
    }
    j->offsets[seq - 1] = offset;
    return 0;
}

static int bad_frame(struct scan *s, int tail, const char *reason)
{
    s->bad = 1;
    s->tail = tail;
    snprintf(s->reason, sizeof(s->reason), "%s", reason);
    return -1;
}

/* Checks one payload: CRC, JSON, seq and chain. Returns the entry or NULL. */
static json_t *check_payload(struct scan *s, const uint8_t *payload, uint32_t len, uint32_t crc, int last)
{
    if ((uint32_t)crc32(0L, payload, len) != crc) {
        bad_frame(s, last, "checksum mismatch");
        return NULL;
    }
    json_error_t jerr;
    json_t *entry = json_loadb((const char *)payload, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!json_is_object(entry)) {
        json_decref(entry);
        bad_frame(s, last, "not a JSON object");
        return NULL;
    }
    json_int_t seq = json_integer_value(json_object_get(entry, "seq"));
    const char *prev = json_string_value(json_object_get(entry, "prev"));
    if (seq <= 0 || (uint64_t)seq != s->seq + 1) {
        json_decref(entry);
        bad_frame(s, 0, "sequence number out of order");
        return NULL;
    }
    if (prev == NULL || strcmp(prev, s->prev) != 0) {
        json_decref(entry);
        bad_frame(s, 0, "hash chain broken (prev does not match the entry before)");
        return NULL;
    }
    return entry;
}

/* Reads and checks the frame at s->end; on success advances the scan. */
static int scan_frame(struct scan *s, int fd, uint64_t size, cs_journal_visit visit, void *user)
{
    uint8_t header[FRAME_HEADER];
    if (size - s->end < FRAME_HEADER)
        return bad_frame(s, 1, "incomplete frame header");
    if (read_exact(fd, header, sizeof(header), s->end) != 0)
        return bad_frame(s, 0, "read error");
    uint32_t len = get_le32(header), crc = get_le32(header + 4);
    if (len == 0 || len > CS_JOURNAL_MAX_ENTRY)
        return bad_frame(s, s->end + FRAME_HEADER >= size, "impossible entry length");
    if (s->end + FRAME_HEADER + len > size)
        return bad_frame(s, 1, "entry runs past the end of the file");
    int last = s->end + FRAME_HEADER + len == size;
    uint8_t *payload = malloc(len);
    if (payload == NULL || read_exact(fd, payload, len, s->end + FRAME_HEADER) != 0) {
        free(payload);
        return bad_frame(s, 0, payload == NULL ? "out of memory" : "read error");
    }
    json_t *entry = check_payload(s, payload, len, crc, last);
    if (entry != NULL && sha256_hex(s->prev, payload, len) != 0) {
        json_decref(entry);
        entry = NULL;
        bad_frame(s, 0, "SHA-256 failed");
    }
    free(payload);
    if (entry == NULL)
        return -1;
    if (s->owner != NULL && remember_offset(s->owner, s->seq + 1, s->end) != 0) {
        json_decref(entry);
        return bad_frame(s, 0, "out of memory");
    }
    s->seq++;
    s->end += FRAME_HEADER + len;
    s->count++;
    s->visit_rc = visit != NULL ? visit(entry, user) : 0;
    json_decref(entry);
    return s->visit_rc != 0 ? -1 : 0;
}

/* Reads frames from s->end to `size`, stopping at the first bad one. */
static void scan(struct scan *s, int fd, uint64_t size, cs_journal_visit visit, void *user)
{
    while (s->end < size && scan_frame(s, fd, size, visit, user) == 0)
        ;
}

static void scan_from(struct scan *s, cs_journal *j)
{
    memset(s, 0, sizeof(*s));
    s->owner = j;
    s->end = j->end;
    s->seq = j->seq;
    memcpy(s->prev, j->prev, HASH_HEX);
}

static void fail_journal(cs_journal *j, uint64_t entry, uint64_t offset, const char *reason)
{
    j->failed = 1;
    snprintf(j->failure, sizeof(j->failure), "journal entry %llu at byte %llu: %s", (unsigned long long)entry,
             (unsigned long long)offset, reason);
}

/* Applies a scan to the handle: good frames are taken; a torn tail is cut
 * off (the caller holds the file lock); a corrupt middle fails the journal. */
static int32_t take_scan(cs_journal *j, const struct scan *s, uint64_t size)
{
    j->end = s->end;
    j->seq = s->seq;
    memcpy(j->prev, s->prev, HASH_HEX);
    if (s->visit_rc != 0)
        return s->visit_rc;
    if (!s->bad)
        return CASESCRIBE_OK;
    if (!s->tail) {
        fail_journal(j, s->seq + 1, s->end, s->reason);
        return CASESCRIBE_OK; /* opens, but refuses appends */
    }
    if (ftruncate(j->fd, (off_t)s->end) != 0 || fsync(j->fd) != 0) {
        fail_journal(j, s->seq + 1, s->end, "a torn tail could not be cut off");
        return CASESCRIBE_OK;
    }
    j->truncated += size - s->end;
    return CASESCRIBE_OK;
}

static int fsync_parent(const char *path)
{
    char *copy = cs_strdup(path);
    if (copy == NULL)
        return -1;
    int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    free(copy);
    int rc = fd >= 0 ? fsync(fd) : -1;
    if (fd >= 0)
        close(fd);
    return rc;
}

/* Opens the file, creating it 0600 and making the creation durable. */
static int open_file(const char *path)
{
    int fd = open(path, O_RDWR | O_APPEND | O_CLOEXEC | O_NOFOLLOW);
    if (fd >= 0 || errno != ENOENT)
        return fd;
    fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0 && errno == EEXIST) /* another process made it first */
        return open(path, O_RDWR | O_APPEND | O_CLOEXEC | O_NOFOLLOW);
    if (fd >= 0 && fsync_parent(path) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static int lock_file(int fd, int how)
{
    while (flock(fd, how) != 0)
        if (errno != EINTR)
            return -1;
    return 0;
}

int32_t cs_journal_open(cs_journal **out, const char *path, uint32_t flags, cs_journal_visit visit, void *user)
{
    *out = NULL;
    cs_journal *j = calloc(1, sizeof(*j));
    if (j == NULL)
        return cs_fail(CASESCRIBE_ENOMEM, "out of memory opening the journal");
    j->flags = flags;
    if (pthread_mutex_init(&j->lock, NULL) != 0) {
        free(j);
        return cs_fail(CASESCRIBE_EINTERNAL, "pthread_mutex_init failed");
    }
    j->fd = open_file(path);
    if (j->fd < 0) {
        int e = errno;
        cs_journal_close(j);
        return cs_fail(CASESCRIBE_EIO, "cannot open the journal %s: %s", path, strerror(e));
    }
    struct stat st;
    struct scan s;
    int32_t rc = CASESCRIBE_OK;
    if (lock_file(j->fd, LOCK_EX) != 0 || fstat(j->fd, &st) != 0) {
        rc = cs_fail(CASESCRIBE_EIO, "cannot lock the journal %s: %s", path, strerror(errno));
    } else {
        scan_from(&s, j);
        scan(&s, j->fd, (uint64_t)st.st_size, visit, user);
        rc = take_scan(j, &s, (uint64_t)st.st_size);
        lock_file(j->fd, LOCK_UN);
    }
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
    pthread_mutex_destroy(&j->lock);
    free(j->offsets);
    free(j);
}

uint64_t cs_journal_truncated_bytes(const cs_journal *j)
{
    return j != NULL ? j->truncated : 0;
}

int cs_journal_failed(const cs_journal *j)
{
    return j == NULL || j->failed;
}

int32_t cs_journal_lock(cs_journal *j, cs_journal_visit visit, void *user)
{
    pthread_mutex_lock(&j->lock);
    struct stat st;
    if (lock_file(j->fd, LOCK_EX) != 0 || fstat(j->fd, &st) != 0) {
        int e = errno;
        pthread_mutex_unlock(&j->lock);
        return cs_fail(CASESCRIBE_EIO, "cannot lock the journal: %s", strerror(e));
    }
    int32_t rc = CASESCRIBE_OK;
    if ((uint64_t)st.st_size < j->end) {
        fail_journal(j, j->seq, j->end, "the journal shrank: entries that were acknowledged are gone");
    } else if ((uint64_t)st.st_size > j->end) {
        struct scan s; /* entries other processes appended since we last looked */
        scan_from(&s, j);
        scan(&s, j->fd, (uint64_t)st.st_size, visit, user);
        rc = take_scan(j, &s, (uint64_t)st.st_size);
    }
    if (rc == CASESCRIBE_OK && j->failed)
        rc = cs_fail(CASESCRIBE_EJOURNAL, "%s", j->failure);
    if (rc != CASESCRIBE_OK) {
        lock_file(j->fd, LOCK_UN);
        pthread_mutex_unlock(&j->lock);
    }
    return rc;
}

void cs_journal_unlock(cs_journal *j)
{
    lock_file(j->fd, LOCK_UN);
    pthread_mutex_unlock(&j->lock);
}

static int write_all(int fd, const uint8_t *p, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Serialises the entry into a whole frame (header + payload). */
static uint8_t *make_frame(cs_journal *j, json_t *entry, size_t *frame_len, char hash[HASH_HEX])
{
    if (json_object_set_new(entry, "seq", json_integer((json_int_t)(j->seq + 1))) != 0 ||
        json_object_set_new(entry, "prev", json_string(j->prev)) != 0)
        return NULL;
    char *payload = json_dumps(entry, JSON_COMPACT | JSON_SORT_KEYS);
    if (payload == NULL)
        return NULL;
    size_t len = strlen(payload);
    uint8_t *frame = len <= CS_JOURNAL_MAX_ENTRY ? malloc(FRAME_HEADER + len) : NULL;
    if (frame != NULL && sha256_hex(hash, payload, len) == 0) {
        put_le32(frame, (uint32_t)len);
        put_le32(frame + 4, (uint32_t)crc32(0L, (const Bytef *)payload, (uInt)len));
        memcpy(frame + FRAME_HEADER, payload, len);
        *frame_len = FRAME_HEADER + len;
    } else {
        free(frame);
        frame = NULL;
    }
    free(payload);
    return frame;
}

int32_t cs_journal_append_locked(cs_journal *j, json_t *entry, uint64_t *seq_out, char *hash_out)
{
    if (j->failed)
        return cs_fail(CASESCRIBE_EJOURNAL, "%s", j->failure);
    char hash[HASH_HEX];
    size_t frame_len = 0;
    if (remember_offset(j, j->seq + 1, j->end) != 0)
        return cs_fail(CASESCRIBE_ENOMEM, "out of memory appending to the journal");
    uint8_t *frame = make_frame(j, entry, &frame_len, hash);
    if (frame == NULL)
        return cs_fail(CASESCRIBE_ENOMEM, "cannot serialise the journal entry (out of memory, or over %u bytes)",
                       (unsigned)CS_JOURNAL_MAX_ENTRY);
    int write_failed = write_all(j->fd, frame, frame_len) != 0;
    int sync_failed = !write_failed && !(j->flags & CS_JOURNAL_NO_SYNC) && fdatasync(j->fd) != 0;
    int e = errno;
    free(frame);
    if (write_failed || sync_failed) {
        /* After a failed flush the kernel may have dropped the pages: never
         * retry and call it durable. Refuse further appends instead. */
        if (ftruncate(j->fd, (off_t)j->end) != 0) {
            /* nothing more to do: the journal is failed either way */
        }
        fail_journal(j, j->seq + 1, j->end, write_failed ? "write failed" : "fdatasync failed");
        return cs_fail(CASESCRIBE_EJOURNAL, "%s (%s)", j->failure, strerror(e));
    }
    j->seq++;
    j->end += frame_len;
    memcpy(j->prev, hash, HASH_HEX);
    if (seq_out != NULL)
        *seq_out = j->seq;
    if (hash_out != NULL)
        memcpy(hash_out, hash, HASH_HEX);
    return CASESCRIBE_OK;
}

/* Read-only scans of a journal file. */
static int32_t scan_file(const char *path, struct scan *s, cs_journal_visit visit, void *user)
{
    memset(s, 0, sizeof(*s));
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return cs_fail(errno == ENOENT ? CASESCRIBE_ENOTFOUND : CASESCRIBE_EIO, "cannot open the journal %s: %s", path,
                       strerror(errno));
    struct stat st;
    int32_t rc = CASESCRIBE_OK;
    if (fstat(fd, &st) != 0)
        rc = cs_fail(CASESCRIBE_EIO, "cannot read the journal %s: %s", path, strerror(errno));
    else
        scan(s, fd, (uint64_t)st.st_size, visit, user);
    close(fd);
    return rc;
}

int32_t cs_journal_verify_file(const char *path, uint64_t *count_out, cs_journal_visit visit, void *user)
{
    struct scan s;
    int32_t rc = scan_file(path, &s, visit, user);
    if (count_out != NULL)
        *count_out = s.count;
    if (rc != CASESCRIBE_OK)
        return rc;
    if (s.visit_rc != 0)
        return s.visit_rc;
    if (s.bad)
        return cs_fail(CASESCRIBE_EJOURNAL, "journal entry %llu at byte %llu: %s%s", (unsigned long long)(s.seq + 1),
                       (unsigned long long)s.end, s.reason, s.tail ? " (a torn tail)" : "");
    return CASESCRIBE_OK;
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
    return 1; /* stop: found (or out of memory, found == NULL) */
}

/* Reads one frame at a known offset, checking its length and CRC. */
static int32_t read_frame_at(json_t **out, int fd, uint64_t offset, uint64_t seq)
{
    uint8_t header[FRAME_HEADER];
    if (read_exact(fd, header, sizeof(header), offset) != 0)
        return cs_fail(CASESCRIBE_EIO, "cannot read journal entry %llu", (unsigned long long)seq);
    uint32_t len = get_le32(header);
    uint8_t *payload = len > 0 && len <= CS_JOURNAL_MAX_ENTRY ? malloc(len) : NULL;
    int ok = payload != NULL && read_exact(fd, payload, len, offset + FRAME_HEADER) == 0 &&
             (uint32_t)crc32(0L, payload, len) == get_le32(header + 4);
    json_error_t jerr;
    *out = ok ? json_loadb((const char *)payload, len, 0, &jerr) : NULL;
    free(payload);
    if (*out == NULL || (uint64_t)json_integer_value(json_object_get(*out, "seq")) != seq) {
        json_decref(*out);
        *out = NULL;
        return cs_fail(CASESCRIBE_EJOURNAL, "journal entry %llu at byte %llu has changed since it was checked",
                       (unsigned long long)seq, (unsigned long long)offset);
    }
    return CASESCRIBE_OK;
}

int32_t cs_journal_read_entry(json_t **out, cs_journal *j, const char *path, uint64_t seq)
{
    *out = NULL;
    uint64_t offset = 0;
    pthread_mutex_lock(&j->lock);
    int known = seq >= 1 && seq <= j->seq;
    if (known)
        offset = j->offsets[seq - 1];
    pthread_mutex_unlock(&j->lock);
    if (known)
        return read_frame_at(out, j->fd, offset, seq);
    /* Appended by another process since we last looked: scan the file. */
    struct find f = {seq, NULL};
    struct scan s;
    int32_t rc = scan_file(path, &s, find_seq, &f);
    if (rc != CASESCRIBE_OK)
        return rc;
    if (s.visit_rc != 0) {
        if (f.found == NULL)
            return cs_fail(CASESCRIBE_ENOMEM, "out of memory reading the journal");
        *out = f.found;
        return CASESCRIBE_OK;
    }
    if (s.bad)
        return cs_fail(CASESCRIBE_EJOURNAL, "journal entry %llu at byte %llu: %s", (unsigned long long)(s.seq + 1),
                       (unsigned long long)s.end, s.reason);
    return cs_fail(CASESCRIBE_ENOTFOUND, "the journal has no entry %llu", (unsigned long long)seq);
}
