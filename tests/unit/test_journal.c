/* test_journal.c - framing, chain, torn-tail recovery, corruption named by
 * entry, failed writes and flushes, and appends from many threads and
 * processes never interleaving.
 *
 * fdatasync() is defined here so that the tests can count flushes and make
 * one fail: the journal is linked into this program, so its calls land here
 * (the real flush is still made, through syscall()). */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include "internal.h"
#include "journal/index.h"
#include "journal/journal.h"

static atomic_int sync_calls;
static atomic_int sync_fails; /* when set, fdatasync reports EIO */

int fdatasync(int fd)
{
    atomic_fetch_add(&sync_calls, 1);
    if (atomic_load(&sync_fails)) {
        errno = EIO;
        return -1;
    }
    return (int)syscall(SYS_fdatasync, fd);
}

static char dir[64], path[128];

static void setup(void)
{
    snprintf(dir, sizeof(dir), "/tmp/cs-journal-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/journal.log", dir);
    atomic_store(&sync_calls, 0);
    atomic_store(&sync_fails, 0);
}

/* Removes the test's folder and whatever the test left in it. */
static void teardown(void)
{
    DIR *d = opendir(dir);
    if (d != NULL) {
        struct dirent *de;
        char name[512];
        while ((de = readdir(d)) != NULL) {
            if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                continue;
            snprintf(name, sizeof(name), "%s/%s", dir, de->d_name);
            unlink(name);
        }
        closedir(d);
    }
    rmdir(dir);
}

TestSuite(journal, .init = setup, .fini = teardown, .timeout = 30);

/* ---- helpers ------------------------------------------------------------ */

/* Records what a visit saw, and can fail at one seq. */
struct seen {
    int count;
    uint64_t seqs[2048];
    uint64_t fail_at; /* return -99 when visiting this seq (0: never) */
};

static int record_visit(const json_t *entry, void *user)
{
    struct seen *s = user;
    uint64_t seq = (uint64_t)json_integer_value(json_object_get(entry, "seq"));
    if (seq == s->fail_at) {
        s->fail_at = 0; /* fail once */
        return -99;
    }
    if (s->count < 2048)
        s->seqs[s->count] = seq;
    s->count++;
    return 0;
}

static void expect_seqs(const struct seen *s, int n, uint64_t first)
{
    cr_assert_eq(s->count, n, "visited %d entries, expected %d", s->count, n);
    for (int i = 0; i < n && i < 2048; i++)
        cr_assert_eq(s->seqs[i], first + (uint64_t)i, "visit %d saw seq %llu", i, (unsigned long long)s->seqs[i]);
}

static cs_journal *open_at(const char *file, uint32_t flags, struct seen *seen)
{
    cs_journal *j = NULL;
    int32_t rc = cs_journal_open(&j, file, flags, seen ? record_visit : NULL, seen);
    cr_assert_eq(rc, CASESCRIBE_OK, "open: %s", casescribe_last_error());
    cr_assert_not_null(j);
    return j;
}

static cs_journal *open_journal(struct seen *seen)
{
    return open_at(path, CS_JOURNAL_NO_SYNC, seen);
}

static int32_t append_one(cs_journal *j, const char *tag, int i, uint64_t *seq, char *hash)
{
    int32_t rc = cs_journal_lock(j, NULL, NULL);
    if (rc != CASESCRIBE_OK)
        return rc;
    json_t *e = json_pack("{s:s, s:s, s:i}", "kind", "test", "tag", tag, "i", i);
    rc = e != NULL ? cs_journal_append_locked(j, e, seq, hash) : CASESCRIBE_ENOMEM;
    json_decref(e);
    cs_journal_unlock(j);
    return rc;
}

static void append_n(cs_journal *j, int n, const char *tag)
{
    for (int i = 0; i < n; i++)
        cr_assert_eq(append_one(j, tag, i, NULL, NULL), CASESCRIBE_OK, "append %d: %s", i, casescribe_last_error());
}

static void make_journal(const char *file, int n, const char *tag)
{
    cs_journal *j = open_at(file, CS_JOURNAL_NO_SYNC, NULL);
    append_n(j, n, tag);
    cs_journal_close(j);
}

static off_t file_size(const char *file)
{
    struct stat st;
    cr_assert_eq(stat(file, &st), 0);
    return st.st_size;
}

/* Byte offsets of the frames of a well-formed file, as written. */
static int frame_offsets(const char *file, off_t *at, int max)
{
    int fd = open(file, O_RDONLY);
    cr_assert_geq(fd, 0);
    off_t size = file_size(file), pos = 0;
    int n = 0;
    unsigned char hdr[8];
    while (pos + 8 <= size && n < max) {
        cr_assert_eq(pread(fd, hdr, 8, pos), 8);
        at[n++] = pos;
        pos += 8 + (off_t)((uint32_t)hdr[0] | (uint32_t)hdr[1] << 8 | (uint32_t)hdr[2] << 16 | (uint32_t)hdr[3] << 24);
    }
    close(fd);
    return n;
}

/* Reads `len` bytes at `at` into a new buffer. */
static unsigned char *read_bytes(const char *file, off_t at, size_t len)
{
    unsigned char *buf = malloc(len + 1);
    cr_assert_not_null(buf);
    int fd = open(file, O_RDONLY);
    cr_assert_geq(fd, 0);
    cr_assert_eq(pread(fd, buf, len, at), (ssize_t)len);
    close(fd);
    buf[len] = '\0';
    return buf;
}

static void flip_byte(off_t at)
{
    int fd = open(path, O_RDWR);
    cr_assert_geq(fd, 0);
    unsigned char b;
    cr_assert_eq(pread(fd, &b, 1, at), 1);
    b ^= 0x20;
    cr_assert_eq(pwrite(fd, &b, 1, at), 1);
    close(fd);
}

static void append_raw(const char *file, const void *data, size_t len)
{
    int fd = open(file, O_WRONLY | O_APPEND | O_CREAT, 0600);
    cr_assert_geq(fd, 0);
    cr_assert_eq(write(fd, data, len), (ssize_t)len);
    close(fd);
}

static void frame_header(unsigned char hdr[8], uint32_t len, uint32_t crc)
{
    for (int i = 0; i < 4; i++) {
        hdr[i] = (unsigned char)(len >> (8 * i));
        hdr[4 + i] = (unsigned char)(crc >> (8 * i));
    }
}

static void sha256_hex_of(char out[65], const void *data, size_t len)
{
    unsigned char md[32];
    cr_assert_eq(EVP_Digest(data, len, md, NULL, EVP_sha256(), NULL), 1);
    cs_hex(out, md, sizeof(md));
}

static uint64_t verify_ok(void)
{
    uint64_t count = 0;
    cr_assert_eq(cs_journal_verify_file(path, &count, NULL, NULL), CASESCRIBE_OK, "verify: %s", casescribe_last_error());
    return count;
}

static void expect_error_names(const char *what)
{
    cr_expect(strstr(casescribe_last_error(), what) != NULL, "'%s' should contain '%s'", casescribe_last_error(), what);
}

/* ---- round trip ---------------------------------------------------------- */

Test(journal, entries_are_chained_and_seen_again_at_open)
{
    cs_journal *j = open_journal(NULL);
    char hash1[65], hash2[65];
    uint64_t seq = 0;
    cr_assert_eq(cs_journal_lock(j, NULL, NULL), CASESCRIBE_OK);
    /* seq and prev are the journal's to set, whatever the caller put there. */
    json_t *e = json_pack("{s:s, s:i, s:s}", "kind", "save", "seq", 99, "prev", "forged");
    cr_assert_eq(cs_journal_append_locked(j, e, &seq, hash1), CASESCRIBE_OK, "%s", casescribe_last_error());
    cr_expect_eq(seq, 1);
    cr_expect_eq(json_integer_value(json_object_get(e, "seq")), 1);
    cr_expect_str_eq(json_string_value(json_object_get(e, "prev")), "", "the first entry has no predecessor");
    json_decref(e);
    e = json_pack("{s:s, s:s}", "kind", "save", "a", "z");
    cr_assert_eq(cs_journal_append_locked(j, e, &seq, hash2), CASESCRIBE_OK);
    cr_expect_eq(seq, 2);
    cr_expect_str_eq(json_string_value(json_object_get(e, "prev")), hash1, "entry 2 names entry 1's hash");
    json_decref(e);
    cs_journal_unlock(j);
    cs_journal_close(j);

    /* On disk: compact, sorted JSON; the hash is SHA-256 of those bytes. */
    off_t at[4];
    cr_assert_eq(frame_offsets(path, at, 4), 2);
    size_t len1 = (size_t)(at[1] - at[0] - 8), len2 = (size_t)(file_size(path) - at[1] - 8);
    unsigned char *p1 = read_bytes(path, 8, len1), *p2 = read_bytes(path, at[1] + 8, len2);
    char hex[65];
    sha256_hex_of(hex, p1, len1);
    cr_expect_str_eq(hex, hash1);
    sha256_hex_of(hex, p2, len2);
    cr_expect_str_eq(hex, hash2);
    cr_expect_str_eq((char *)p1, "{\"kind\":\"save\",\"prev\":\"\",\"seq\":1}");
    cr_expect(strncmp((char *)p2, "{\"a\":\"z\",\"kind\":\"save\",\"prev\":\"", 30) == 0, "%s", p2);
    free(p1);
    free(p2);

    struct seen seen = {0};
    j = open_journal(&seen);
    expect_seqs(&seen, 2, 1);
    cr_expect_eq(cs_journal_truncated_bytes(j), 0);
    cr_expect_eq(cs_journal_failed(j), 0);
    uint64_t next = 0;
    cr_expect_eq(append_one(j, "again", 0, &next, NULL), CASESCRIBE_OK);
    cr_expect_eq(next, 3, "the chain goes on after a reopen");
    cs_journal_close(j);
    cr_expect_eq(verify_ok(), 3);
    struct stat st;
    cr_assert_eq(stat(path, &st), 0);
    cr_expect_eq(st.st_mode & 0777, 0600);
}

Test(journal, entries_are_read_by_seq_and_a_missing_seq_is_not_found)
{
    cs_journal *j = open_journal(NULL);
    append_n(j, 3, "mine");
    json_t *got = NULL;
    cr_assert_eq(cs_journal_read_entry(&got, j, path, 2), CASESCRIBE_OK, "%s", casescribe_last_error());
    cr_expect_eq(json_integer_value(json_object_get(got, "seq")), 2);
    cr_expect_eq(json_integer_value(json_object_get(got, "i")), 1);
    json_decref(got);
    cr_expect_eq(cs_journal_read_entry(&got, j, path, 4), CASESCRIBE_ENOTFOUND);
    cr_expect_null(got);
    cr_expect_eq(cs_journal_read_entry(&got, j, path, 0), CASESCRIBE_ENOTFOUND);

    /* Entries another handle appended are found by scanning. */
    cs_journal *other = open_journal(NULL);
    append_n(other, 2, "theirs");
    cs_journal_close(other);
    cr_assert_eq(cs_journal_read_entry(&got, j, path, 5), CASESCRIBE_OK, "%s", casescribe_last_error());
    cr_expect_str_eq(json_string_value(json_object_get(got, "tag")), "theirs");
    json_decref(got);
    cr_expect_eq(cs_journal_read_entry(&got, j, path, 6), CASESCRIBE_ENOTFOUND);
    cr_expect_eq(cs_journal_read_entry(&got, NULL, path, 4), CASESCRIBE_OK, "by path alone");
    cr_expect_eq(json_integer_value(json_object_get(got, "seq")), 4);
    json_decref(got);
    cs_journal_close(j);
}

/* ---- torn tails ----------------------------------------------------------- */

/* A torn tail: the good entries stay, exactly the tail is cut and reported,
 * and the next append continues the chain. */
static void expect_torn_tail_recovered(int good, off_t tail_bytes)
{
    off_t before = file_size(path);
    cr_expect_eq(cs_journal_verify_file(path, NULL, NULL, NULL), CASESCRIBE_EJOURNAL, "verify sees the torn tail");
    struct seen seen = {0};
    cs_journal *j = open_journal(&seen);
    expect_seqs(&seen, good, 1);
    cr_expect_eq(cs_journal_truncated_bytes(j), (uint64_t)tail_bytes);
    cr_expect_eq(file_size(path), before - tail_bytes);
    cr_expect_eq(cs_journal_failed(j), 0);
    uint64_t seq = 0;
    cr_expect_eq(append_one(j, "after", 0, &seq, NULL), CASESCRIBE_OK, "%s", casescribe_last_error());
    cr_expect_eq(seq, (uint64_t)good + 1);
    cs_journal_close(j);
    cr_expect_eq(verify_ok(), (uint64_t)good + 1);
}

Test(journal, half_written_frame_is_cut)
{
    make_journal(path, 3, "a");
    append_raw(path, "\x40\x00\x00\x00\x12\x34", 6);
    expect_torn_tail_recovered(3, 6);
}

Test(journal, frame_running_past_the_end_is_cut)
{
    make_journal(path, 3, "a");
    append_raw(path, "\x40\x00\x00\x00\x00\x00\x00\x00{\"kind\":", 17);
    expect_torn_tail_recovered(3, 17);
}

Test(journal, damaged_last_frame_is_cut)
{
    make_journal(path, 3, "a");
    off_t at[3];
    cr_assert_eq(frame_offsets(path, at, 3), 3);
    off_t last = file_size(path) - at[2];
    flip_byte(file_size(path) - 3);
    expect_torn_tail_recovered(2, last);
}

Test(journal, zero_filled_tail_left_by_a_crash_is_cut)
{
    make_journal(path, 3, "a");
    char zeros[4096] = {0};
    append_raw(path, zeros, sizeof(zeros));
    expect_torn_tail_recovered(3, (off_t)sizeof(zeros));
}

Test(journal, two_processes_opening_at_once_cut_the_tail_once)
{
    make_journal(path, 3, "a");
    append_raw(path, "\x40\x00\x00\x00\x00\x00\x00\x00{\"kind\":", 17);
    int go[2], report[2];
    cr_assert_eq(pipe(go), 0);
    cr_assert_eq(pipe(report), 0);
    pid_t kids[4];
    for (int k = 0; k < 4; k++) {
        if ((kids[k] = fork()) == 0) {
            char c;
            close(go[1]);
            if (read(go[0], &c, 1) != 0) /* wait until the parent lets all go */
                _exit(2);
            cs_journal *j = NULL;
            if (cs_journal_open(&j, path, CS_JOURNAL_NO_SYNC, NULL, NULL) != CASESCRIBE_OK)
                _exit(3);
            uint64_t cut = cs_journal_truncated_bytes(j);
            cs_journal_close(j);
            _exit(write(report[1], &cut, sizeof(cut)) == (ssize_t)sizeof(cut) ? 0 : 4);
        }
        cr_assert_gt(kids[k], 0);
    }
    close(go[0]);
    close(go[1]); /* EOF on the pipe starts them together */
    close(report[1]);
    uint64_t total = 0, cut;
    int reports = 0;
    while (read(report[0], &cut, sizeof(cut)) == (ssize_t)sizeof(cut)) {
        total += cut;
        reports++;
    }
    close(report[0]);
    for (int k = 0; k < 4; k++) {
        int status = 0;
        waitpid(kids[k], &status, 0);
        cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child %d", k);
    }
    cr_expect_eq(reports, 4);
    cr_expect_eq(total, 17, "the tail was cut by exactly one process (total %llu)", (unsigned long long)total);
    cr_expect_eq(verify_ok(), 3);
}

Test(journal, a_last_frame_whose_payload_is_not_json_is_cut)
{
    make_journal(path, 3, "a");
    const char *junk = "{\"kind\":\"sa"; /* a good CRC over bytes that are not JSON */
    uint32_t len = (uint32_t)strlen(junk);
    unsigned char hdr[8];
    frame_header(hdr, len, (uint32_t)crc32(0L, (const Bytef *)junk, len));
    append_raw(path, hdr, 8);
    append_raw(path, junk, len);
    expect_torn_tail_recovered(3, 8 + (off_t)len);
}

/* ---- corruption ---------------------------------------------------------- */

Test(journal, corrupt_middle_entry_is_named_and_stops_appends)
{
    make_journal(path, 5, "a");
    off_t at[5];
    cr_assert_eq(frame_offsets(path, at, 5), 5);
    flip_byte(at[1] + 8 + 5);

    uint64_t count = 0;
    cr_expect_eq(cs_journal_verify_file(path, &count, NULL, NULL), CASESCRIBE_EJOURNAL);
    cr_expect_eq(count, 1);
    char expect[80];
    snprintf(expect, sizeof(expect), "journal entry 2 at byte %lld: checksum mismatch", (long long)at[1]);
    expect_error_names(expect);

    off_t size = file_size(path);
    struct seen seen = {0};
    cs_journal *j = open_journal(&seen);
    expect_seqs(&seen, 1, 1);
    cr_expect_eq(cs_journal_failed(j), 1);
    cr_expect_eq(cs_journal_truncated_bytes(j), 0, "a corrupt middle is evidence: never cut");
    cr_expect_eq(file_size(path), size);
    uint64_t seq = 7;
    cr_expect_eq(append_one(j, "refused", 0, &seq, NULL), CASESCRIBE_EJOURNAL);
    cr_expect_eq(seq, 0);
    snprintf(expect, sizeof(expect), "journal entry 2 at byte %lld", (long long)at[1]);
    expect_error_names(expect);
    cr_expect_eq(file_size(path), size, "nothing was written");
    json_t *got = NULL;
    cr_expect_eq(cs_journal_read_entry(&got, j, path, 1), CASESCRIBE_OK, "entry 1 is intact");
    json_decref(got);
    cs_journal_close(j);
}

Test(journal, an_entry_damaged_after_it_was_read_is_not_returned)
{
    cs_journal *j = open_journal(NULL);
    append_n(j, 3, "a");
    off_t at[3];
    cr_assert_eq(frame_offsets(path, at, 3), 3);
    flip_byte(at[1] + 8 + 3);
    json_t *got = NULL;
    cr_expect_eq(cs_journal_read_entry(&got, j, path, 2), CASESCRIBE_EJOURNAL);
    cr_expect_null(got);
    char expect[80];
    snprintf(expect, sizeof(expect), "journal entry 2 at byte %lld: checksum mismatch", (long long)at[1]);
    expect_error_names(expect);
    cs_journal_close(j);
}

Test(journal, a_damaged_length_in_the_middle_is_not_taken_for_a_torn_tail)
{
    make_journal(path, 5, "a");
    off_t at[5];
    cr_assert_eq(frame_offsets(path, at, 5), 5);
    /* Entry 4's length now runs past the end of the file. Cutting there, as
     * for a torn write, would lose entry 5, which is intact. */
    unsigned char hdr[8];
    uint32_t len = (uint32_t)(file_size(path) - at[3]);
    frame_header(hdr, len, 0);
    int fd = open(path, O_RDWR);
    cr_assert_eq(pwrite(fd, hdr, 4, at[3]), 4);
    close(fd);
    off_t size = file_size(path);

    cr_expect_eq(cs_journal_verify_file(path, NULL, NULL, NULL), CASESCRIBE_EJOURNAL);
    expect_error_names("journal entry 4");
    cs_journal *j = open_journal(NULL);
    cr_expect_eq(cs_journal_failed(j), 1);
    cr_expect_eq(cs_journal_truncated_bytes(j), 0);
    cr_expect_eq(file_size(path), size);
    cs_journal_close(j);
}

Test(journal, a_frame_spliced_from_another_journal_breaks_the_chain)
{
    char other[160];
    snprintf(other, sizeof(other), "%s/other.log", dir);
    make_journal(path, 4, "a");
    make_journal(other, 4, "b");
    off_t a[4], b[4];
    cr_assert_eq(frame_offsets(path, a, 4), 4);
    cr_assert_eq(frame_offsets(other, b, 4), 4);
    /* a1 a2 b3 a4: every CRC and seq is right, but b3's prev is b2's hash. */
    size_t head = (size_t)a[2], b3 = (size_t)(b[3] - b[2]), a4 = (size_t)(file_size(path) - a[3]);
    unsigned char *p1 = read_bytes(path, 0, head), *p2 = read_bytes(other, b[2], b3), *p3 = read_bytes(path, a[3], a4);
    cr_assert_eq(truncate(path, 0), 0);
    append_raw(path, p1, head);
    append_raw(path, p2, b3);
    append_raw(path, p3, a4);
    free(p1);
    free(p2);
    free(p3);

    uint64_t count = 0;
    cr_expect_eq(cs_journal_verify_file(path, &count, NULL, NULL), CASESCRIBE_EJOURNAL);
    cr_expect_eq(count, 2);
    expect_error_names("journal entry 3");
    expect_error_names("chain");
    cs_journal *j = open_journal(NULL);
    cr_expect_eq(cs_journal_failed(j), 1);
    cs_journal_close(j);
}

Test(journal, a_forged_last_frame_with_a_valid_checksum_is_not_cut)
{
    make_journal(path, 2, "a");
    const char *payload = "{\"kind\":\"save\",\"prev\":\"0000000000000000000000000000000000000000000000000000000000000000\","
                          "\"seq\":3}";
    uint32_t len = (uint32_t)strlen(payload);
    unsigned char hdr[8];
    frame_header(hdr, len, (uint32_t)crc32(0L, (const Bytef *)payload, len));
    append_raw(path, hdr, 8);
    append_raw(path, payload, len);
    off_t size = file_size(path);
    cr_expect_eq(cs_journal_verify_file(path, NULL, NULL, NULL), CASESCRIBE_EJOURNAL);
    expect_error_names("chain");
    cs_journal *j = open_journal(NULL);
    cr_expect_eq(cs_journal_failed(j), 1, "a whole frame with a wrong chain is not a torn write");
    cr_expect_eq(file_size(path), size);
    cs_journal_close(j);
}

Test(journal, a_repeated_frame_is_out_of_sequence)
{
    make_journal(path, 2, "a");
    off_t at[2];
    cr_assert_eq(frame_offsets(path, at, 2), 2);
    size_t len = (size_t)(file_size(path) - at[1]);
    unsigned char *copy = read_bytes(path, at[1], len);
    append_raw(path, copy, len);
    free(copy);
    cr_expect_eq(cs_journal_verify_file(path, NULL, NULL, NULL), CASESCRIBE_EJOURNAL);
    expect_error_names("journal entry 3");
    expect_error_names("sequence");
}

Test(journal, an_absurd_length_is_refused_without_allocating_it)
{
    make_journal(path, 1, "a");
    off_t good = file_size(path);
    append_raw(path, "\xff\xff\xff\xff\x00\x00\x00\x00", 8);
    /* 4 GiB would be asked for if the length were trusted: the check against
     * CS_JOURNAL_MAX_ENTRY comes first, so this is EJOURNAL, not ENOMEM. */
    cr_expect_eq(cs_journal_verify_file(path, NULL, NULL, NULL), CASESCRIBE_EJOURNAL);
    char expect[80];
    snprintf(expect, sizeof(expect), "journal entry 2 at byte %lld: impossible entry length", (long long)good);
    expect_error_names(expect);
    cs_journal *j = open_journal(NULL);
    cr_expect_eq(cs_journal_truncated_bytes(j), 8, "nothing intact after it: a torn tail");
    cs_journal_close(j);
    cr_expect_eq(verify_ok(), 1);
}

Test(journal, an_oversized_entry_is_refused_on_append)
{
    cs_journal *j = open_journal(NULL);
    append_n(j, 1, "before");
    off_t size = file_size(path);
    char *big = malloc(CS_JOURNAL_MAX_ENTRY + 16);
    cr_assert_not_null(big);
    memset(big, 'x', CS_JOURNAL_MAX_ENTRY + 15);
    big[CS_JOURNAL_MAX_ENTRY + 15] = '\0';
    cr_assert_eq(cs_journal_lock(j, NULL, NULL), CASESCRIBE_OK);
    json_t *e = json_pack("{s:s}", "big", big);
    free(big);
    cr_expect_eq(cs_journal_append_locked(j, e, NULL, NULL), CASESCRIBE_ETOOBIG);
    json_decref(e);
    cs_journal_unlock(j);
    cr_expect_eq(cs_journal_failed(j), 0, "a refused entry is the caller's problem, not the journal's");
    cr_expect_eq(file_size(path), size);
    uint64_t seq = 0;
    cr_expect_eq(append_one(j, "after", 0, &seq, NULL), CASESCRIBE_OK);
    cr_expect_eq(seq, 2);
    cs_journal_close(j);
    cr_expect_eq(verify_ok(), 2);
}

/* ---- durability ---------------------------------------------------------- */

Test(journal, durable_appends_call_fdatasync_and_no_sync_does_not)
{
    cs_journal *j = open_at(path, 0, NULL);
    append_n(j, 5, "synced");
    cs_journal_close(j);
    cr_expect_eq(atomic_load(&sync_calls), 5, "one flush per acknowledged entry");
    atomic_store(&sync_calls, 0);
    j = open_at(path, CS_JOURNAL_NO_SYNC, NULL);
    append_n(j, 5, "unsynced");
    cs_journal_close(j);
    cr_expect_eq(atomic_load(&sync_calls), 0);
    cr_expect_eq(verify_ok(), 10);
}

Test(journal, a_failed_fdatasync_fails_the_journal_and_is_cut_back)
{
    cs_journal *j = open_at(path, 0, NULL);
    append_n(j, 3, "ok");
    off_t size = file_size(path);
    atomic_store(&sync_fails, 1);
    uint64_t seq = 9;
    char hash[65] = "x";
    cr_assert_eq(cs_journal_lock(j, NULL, NULL), CASESCRIBE_OK);
    json_t *e = json_pack("{s:s}", "kind", "lost");
    cr_expect_eq(cs_journal_append_locked(j, e, &seq, hash), CASESCRIBE_EJOURNAL);
    json_decref(e);
    cs_journal_unlock(j);
    atomic_store(&sync_fails, 0);
    expect_error_names("fdatasync failed");
    expect_error_names("journal entry 4");
    cr_expect_eq(seq, 0);
    cr_expect_str_eq(hash, "");
    cr_expect_eq(cs_journal_failed(j), 1);
    cr_expect_eq(file_size(path), size, "the unacknowledged frame was cut back");
    /* Never retried, never assumed durable: the handle stays failed. */
    cr_expect_eq(append_one(j, "later", 0, NULL, NULL), CASESCRIBE_EJOURNAL);
    cs_journal_close(j);
    cr_expect_eq(verify_ok(), 3);
}

Test(journal, a_short_write_then_an_error_is_cut_back)
{
    cs_journal *j = open_journal(NULL);
    append_n(j, 2, "ok");
    off_t size = file_size(path);
    /* The file may grow 10 bytes: the frame's write is cut short, then the
     * rest fails with EFBIG. */
    struct rlimit old, lim;
    cr_assert_eq(getrlimit(RLIMIT_FSIZE, &old), 0);
    lim = old;
    lim.rlim_cur = (rlim_t)size + 10;
    signal(SIGXFSZ, SIG_IGN);
    cr_assert_eq(setrlimit(RLIMIT_FSIZE, &lim), 0);
    int32_t rc = append_one(j, "torn", 0, NULL, NULL);
    cr_assert_eq(setrlimit(RLIMIT_FSIZE, &old), 0);
    cr_expect_eq(rc, CASESCRIBE_EJOURNAL);
    expect_error_names("write failed");
    cr_expect_eq(cs_journal_failed(j), 1);
    cr_expect_eq(file_size(path), size, "the partial frame was cut back");
    cs_journal_close(j);
    cr_expect_eq(verify_ok(), 2);
}

Test(journal, a_journal_that_shrank_under_a_handle_refuses_appends)
{
    cs_journal *j = open_journal(NULL);
    append_n(j, 3, "a");
    off_t at[3];
    cr_assert_eq(frame_offsets(path, at, 3), 3);
    cr_assert_eq(truncate(path, at[2]), 0); /* entry 3, acknowledged, is gone */
    struct seen seen = {0};
    cr_assert_eq(cs_journal_lock(j, record_visit, &seen), CASESCRIBE_OK);
    json_t *e = json_pack("{s:s}", "kind", "x");
    cr_expect_eq(cs_journal_append_locked(j, e, NULL, NULL), CASESCRIBE_EJOURNAL);
    json_decref(e);
    cs_journal_unlock(j);
    expect_error_names("journal entry 3");
    expect_error_names("shrank");
    cr_expect_eq(seen.count, 0, "entries 1 and 2 were visited before: not again");
    json_t *got = NULL;
    cr_expect_eq(cs_journal_read_entry(&got, j, path, 2), CASESCRIBE_OK, "what is left can still be read");
    json_decref(got);
    cr_expect_eq(cs_journal_read_entry(&got, j, path, 3), CASESCRIBE_ENOTFOUND);
    cs_journal_close(j);
}

/* ---- visits -------------------------------------------------------------- */

Test(journal, a_failing_visit_stops_and_the_entry_is_offered_again)
{
    make_journal(path, 2, "a");
    struct seen seen = {.fail_at = 2};
    cs_journal *j = NULL;
    cr_expect_eq(cs_journal_open(&j, path, CS_JOURNAL_NO_SYNC, record_visit, &seen), -99, "open returns the visit's error");
    cr_expect_null(j);

    cs_journal *mine = open_journal(NULL);
    cs_journal *theirs = open_journal(NULL);
    append_n(theirs, 2, "b"); /* entries 3 and 4, unseen by `mine` */
    struct seen later = {.fail_at = 4};
    cr_expect_eq(cs_journal_lock(mine, record_visit, &later), -99);
    expect_seqs(&later, 1, 3);
    later.count = 0;
    cr_assert_eq(cs_journal_lock(mine, record_visit, &later), CASESCRIBE_OK);
    cs_journal_unlock(mine);
    expect_seqs(&later, 1, 4);
    cs_journal_close(theirs);
    cs_journal_close(mine);
}

/* ---- concurrency --------------------------------------------------------- */

static cs_journal *shared;

static void *append_many(void *arg)
{
    uint64_t *seqs = arg;
    for (int i = 0; i < 200; i++)
        if (append_one(shared, "thread", i, &seqs[i], NULL) != CASESCRIBE_OK)
            return (void *)1;
    return NULL;
}

Test(journal, eight_threads_never_interleave)
{
    shared = open_journal(NULL);
    static uint64_t seqs[8][200];
    pthread_t t[8];
    for (int i = 0; i < 8; i++)
        cr_assert_eq(pthread_create(&t[i], NULL, append_many, seqs[i]), 0);
    for (int i = 0; i < 8; i++) {
        void *r;
        pthread_join(t[i], &r);
        cr_expect_null(r, "thread %d failed", i);
    }
    cs_journal_close(shared);
    /* Every seq 1..1600 was handed out exactly once. */
    static unsigned char taken[1601];
    for (int i = 0; i < 8; i++)
        for (int k = 0; k < 200; k++) {
            cr_assert(seqs[i][k] >= 1 && seqs[i][k] <= 1600);
            cr_assert_eq(taken[seqs[i][k]]++, 0, "seq %llu twice", (unsigned long long)seqs[i][k]);
        }
    struct seen seen = {0};
    cr_expect_eq(cs_journal_verify_file(path, NULL, record_visit, &seen), CASESCRIBE_OK, "%s", casescribe_last_error());
    expect_seqs(&seen, 1600, 1);
}

static void child_appends(int k)
{
    cs_journal *mine = NULL;
    if (cs_journal_open(&mine, path, CS_JOURNAL_NO_SYNC, NULL, NULL) != CASESCRIBE_OK)
        _exit(2);
    for (int i = 0; i < 200; i++) {
        if (cs_journal_lock(mine, NULL, NULL) != CASESCRIBE_OK)
            _exit(3);
        json_t *e = json_pack("{s:s, s:i, s:i}", "kind", "proc", "k", k, "i", i);
        int32_t rc = e != NULL ? cs_journal_append_locked(mine, e, NULL, NULL) : CASESCRIBE_ENOMEM;
        json_decref(e);
        cs_journal_unlock(mine);
        if (rc != CASESCRIBE_OK)
            _exit(4);
    }
    cs_journal_close(mine);
    _exit(0);
}

/* Checks each child's entries arrive in its own order, 0..199. */
static int per_child_order(const json_t *entry, void *user)
{
    int *next = user;
    int k = (int)json_integer_value(json_object_get(entry, "k"));
    int i = (int)json_integer_value(json_object_get(entry, "i"));
    if (k < 0 || k >= 4 || i != next[k])
        return -98;
    next[k]++;
    return 0;
}

Test(journal, four_processes_never_interleave_and_catch_up)
{
    cs_journal *j = open_journal(NULL);
    pid_t kids[4];
    for (int k = 0; k < 4; k++) {
        if ((kids[k] = fork()) == 0)
            child_appends(k);
        cr_assert_gt(kids[k], 0);
    }
    for (int k = 0; k < 4; k++) {
        int status = 0;
        waitpid(kids[k], &status, 0);
        cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child %d exit %d", k, WEXITSTATUS(status));
    }
    int next[4] = {0};
    uint64_t count = 0;
    cr_expect_eq(cs_journal_verify_file(path, &count, per_child_order, next), CASESCRIBE_OK, "%s",
                 casescribe_last_error());
    cr_expect_eq(count, 800);
    for (int k = 0; k < 4; k++)
        cr_expect_eq(next[k], 200, "child %d", k);
    /* This handle saw none of them: taking the lock reads them in. */
    struct seen seen = {0};
    cr_assert_eq(cs_journal_lock(j, record_visit, &seen), CASESCRIBE_OK, "%s", casescribe_last_error());
    json_t *e = json_pack("{s:s}", "kind", "parent");
    uint64_t seq = 0;
    cr_expect_eq(cs_journal_append_locked(j, e, &seq, NULL), CASESCRIBE_OK);
    json_decref(e);
    cs_journal_unlock(j);
    expect_seqs(&seen, 800, 1);
    cr_expect_eq(seq, 801);
    json_t *read = NULL;
    cr_expect_eq(cs_journal_read_entry(&read, j, path, 400), CASESCRIBE_OK);
    cr_expect_str_eq(json_string_value(json_object_get(read, "kind")), "proc");
    json_decref(read);
    cs_journal_close(j);
    cr_expect_eq(verify_ok(), 801);
}

/* The index keeps, per team, the latest policy version journalled and its
 * digest, and the highest bundle serial, whatever order entries come in. */
Test(journal, the_index_keeps_each_teams_latest_policy_and_the_latest_bundle)
{
    cs_index *ix = NULL;
    cr_assert_eq(cs_index_new(&ix), CASESCRIBE_OK);
    const char *entries[] = {
        "{\"kind\":\"policy\",\"team\":\"a/b\",\"version\":1,\"policy\":\"sha256:11\"}",
        "{\"kind\":\"policy\",\"team\":\"a/b\",\"version\":2,\"policy\":\"sha256:22\",\"bundle\":7}",
        "{\"kind\":\"policy\",\"team\":\"a/b\",\"version\":2,\"policy\":\"sha256:22\",\"bundle\":7}",
        "{\"kind\":\"policy\",\"team\":\"a/b\",\"version\":1,\"policy\":\"sha256:11\"}",
        "{\"kind\":\"policy\",\"team\":\"x\",\"version\":\"3\"}",
        "{\"kind\":\"policy-bundle\",\"serial\":7,\"digest\":\"sha256:b7\"}",
        "{\"kind\":\"policy-bundle\",\"serial\":5,\"digest\":\"sha256:b5\"}",
        "{\"kind\":\"save\",\"record\":\"R-1\",\"version\":9,\"digest\":\"sha256:r\",\"team\":\"a/b\",\"ai\":[]}",
    };
    for (size_t i = 0; i < sizeof(entries) / sizeof(*entries); i++) {
        json_t *e = json_loads(entries[i], 0, NULL);
        cr_assert_not_null(e, "%s", entries[i]);
        cr_expect_eq(cs_index_visit(e, ix), CASESCRIBE_OK, "%s", entries[i]);
        json_decref(e);
    }
    const char *digest = NULL;
    cr_expect_eq(cs_index_policy(ix, "a/b", &digest), 2, "an older entry never lowers the latest");
    cr_expect_str_eq(digest, "sha256:22");
    cr_expect_eq(cs_index_policy(ix, "x", &digest), 0, "an entry without a number version is ignored");
    cr_expect_str_eq(digest, "");
    cr_expect_eq(cs_index_policy(ix, "R-1", NULL), 0, "a save is no policy change");
    cr_expect_eq(cs_index_bundle(ix, &digest), 7);
    cr_expect_str_eq(digest, "sha256:b7", "the digest from the policy-bundle entry of that serial");
    cs_index_free(ix);
}
