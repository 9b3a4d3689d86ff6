/* test_journal.c - framing, chain, torn-tail recovery, corruption named by
 * entry, and appends from many threads and processes never interleaving. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include "internal.h"
#include "journal/journal.h"

static char dir[64], path[128];

static void setup(void)
{
    snprintf(dir, sizeof(dir), "/tmp/cs-journal-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/journal.log", dir);
}

static void teardown(void)
{
    unlink(path);
    rmdir(dir);
}

TestSuite(journal, .init = setup, .fini = teardown);

static int count_visit(const json_t *entry, void *user)
{
    (void)entry;
    (*(int *)user)++;
    return 0;
}

static void append_n(cs_journal *j, int n, const char *tag)
{
    for (int i = 0; i < n; i++) {
        cr_assert_eq(cs_journal_lock(j, NULL, NULL), CASESCRIBE_OK, "%s", casescribe_last_error());
        json_t *e = json_pack("{s:s, s:s, s:i}", "kind", "test", "tag", tag, "i", i);
        int32_t rc = cs_journal_append_locked(j, e, NULL, NULL);
        json_decref(e);
        cs_journal_unlock(j);
        cr_assert_eq(rc, CASESCRIBE_OK, "%s", casescribe_last_error());
    }
}

static cs_journal *open_journal(int *visited)
{
    cs_journal *j = NULL;
    int32_t rc = cs_journal_open(&j, path, CS_JOURNAL_NO_SYNC, visited ? count_visit : NULL, visited);
    cr_assert_eq(rc, CASESCRIBE_OK, "%s", casescribe_last_error());
    return j;
}

static off_t file_size(void)
{
    struct stat st;
    cr_assert_eq(stat(path, &st), 0);
    return st.st_size;
}

static void flip_byte(off_t at)
{
    int fd = open(path, O_RDWR);
    unsigned char b;
    cr_assert_eq(pread(fd, &b, 1, at), 1);
    b ^= 0x20;
    cr_assert_eq(pwrite(fd, &b, 1, at), 1);
    close(fd);
}

static void append_raw(const void *data, size_t len)
{
    int fd = open(path, O_WRONLY | O_APPEND);
    cr_assert_eq(write(fd, data, len), (ssize_t)len);
    close(fd);
}

Test(journal, entries_are_chained_and_seen_again_at_open)
{
    cs_journal *j = open_journal(NULL);
    char hash1[65], hash2[65];
    uint64_t seq = 0;
    cr_assert_eq(cs_journal_lock(j, NULL, NULL), CASESCRIBE_OK);
    json_t *e = json_pack("{s:s}", "kind", "save");
    cr_assert_eq(cs_journal_append_locked(j, e, &seq, hash1), CASESCRIBE_OK);
    cr_expect_eq(seq, 1);
    cr_expect_str_eq(json_string_value(json_object_get(e, "prev")), "", "the first entry has no predecessor");
    json_decref(e);
    e = json_pack("{s:s}", "kind", "save");
    cr_assert_eq(cs_journal_append_locked(j, e, &seq, hash2), CASESCRIBE_OK);
    cr_expect_eq(seq, 2);
    cr_expect_str_eq(json_string_value(json_object_get(e, "prev")), hash1, "entry 2 names entry 1's hash");
    json_decref(e);
    cs_journal_unlock(j);
    cs_journal_close(j);

    int visited = 0;
    j = open_journal(&visited);
    cr_expect_eq(visited, 2);
    cr_expect_eq(cs_journal_truncated_bytes(j), 0);
    json_t *read = NULL;
    cr_assert_eq(cs_journal_read_entry(&read, j, path, 2), CASESCRIBE_OK);
    cr_expect_str_eq(json_string_value(json_object_get(read, "prev")), hash1);
    json_decref(read);
    cr_expect_eq(cs_journal_read_entry(&read, j, path, 3), CASESCRIBE_ENOTFOUND);
    uint64_t count = 0;
    cr_expect_eq(cs_journal_verify_file(path, &count, NULL, NULL), CASESCRIBE_OK);
    cr_expect_eq(count, 2);
    cs_journal_close(j);
    struct stat st;
    stat(path, &st);
    cr_expect_eq(st.st_mode & 0777, 0600);
}

/* A torn tail: the good entries stay, the tail is cut and reported, and the
 * next append continues the chain. */
static void expect_torn_tail_recovered(int good)
{
    off_t before = file_size();
    cr_expect_eq(cs_journal_verify_file(path, NULL, NULL, NULL), CASESCRIBE_EJOURNAL, "verify sees the torn tail");
    int visited = 0;
    cs_journal *j = open_journal(&visited);
    cr_expect_eq(visited, good);
    cr_expect_gt(cs_journal_truncated_bytes(j), 0);
    cr_expect_lt(file_size(), before);
    cr_expect_eq(cs_journal_failed(j), 0);
    append_n(j, 1, "after");
    uint64_t count = 0;
    cr_expect_eq(cs_journal_verify_file(path, &count, NULL, NULL), CASESCRIBE_OK, "%s", casescribe_last_error());
    cr_expect_eq(count, (uint64_t)good + 1);
    cs_journal_close(j);
}

Test(journal, half_written_frame_is_cut)
{
    cs_journal *j = open_journal(NULL);
    append_n(j, 3, "a");
    cs_journal_close(j);
    append_raw("\x40\x00\x00\x00\x12\x34", 6);
    expect_torn_tail_recovered(3);
}

Test(journal, frame_running_past_the_end_is_cut)
{
    cs_journal *j = open_journal(NULL);
    append_n(j, 3, "a");
    cs_journal_close(j);
    append_raw("\x40\x00\x00\x00\x00\x00\x00\x00{\"kind\":", 17);
    expect_torn_tail_recovered(3);
}

Test(journal, damaged_last_frame_is_cut)
{
    cs_journal *j = open_journal(NULL);
    append_n(j, 3, "a");
    cs_journal_close(j);
    flip_byte(file_size() - 3);
    expect_torn_tail_recovered(2);
}

Test(journal, corrupt_middle_entry_is_named_and_stops_appends)
{
    cs_journal *j = open_journal(NULL);
    append_n(j, 5, "a");
    json_t *e2 = NULL;
    cr_assert_eq(cs_journal_read_entry(&e2, j, path, 2), CASESCRIBE_OK);
    cs_journal_close(j);
    /* Find entry 2: just past entry 1's frame. */
    int fd = open(path, O_RDONLY);
    unsigned char hdr[4];
    cr_assert_eq(pread(fd, hdr, 4, 0), 4);
    close(fd);
    off_t second = 8 + (off_t)(hdr[0] | hdr[1] << 8);
    json_decref(e2);
    flip_byte(second + 8 + 5);

    uint64_t count = 0;
    cr_expect_eq(cs_journal_verify_file(path, &count, NULL, NULL), CASESCRIBE_EJOURNAL);
    cr_expect_eq(count, 1);
    char expect[64];
    snprintf(expect, sizeof(expect), "journal entry 2 at byte %lld", (long long)second);
    cr_expect(strstr(casescribe_last_error(), expect) != NULL, "'%s' should name '%s'", casescribe_last_error(), expect);

    off_t size = file_size();
    j = open_journal(NULL);
    cr_expect_eq(cs_journal_failed(j), 1);
    cr_expect_eq(cs_journal_truncated_bytes(j), 0, "a corrupt middle is evidence: never cut");
    cr_expect_eq(file_size(), size);
    cr_expect_eq(cs_journal_lock(j, NULL, NULL), CASESCRIBE_EJOURNAL);
    cr_expect(strstr(casescribe_last_error(), "entry 2") != NULL);
    cs_journal_close(j);
}

Test(journal, a_spliced_frame_with_a_valid_checksum_breaks_the_chain)
{
    cs_journal *j = open_journal(NULL);
    append_n(j, 2, "a");
    cs_journal_close(j);
    /* A well-formed frame, correct CRC and seq, but not chained to entry 2. */
    const char *payload = "{\"kind\":\"save\",\"prev\":\"0000000000000000000000000000000000000000000000000000000000000000\",\"seq\":3}";
    uint32_t len = (uint32_t)strlen(payload), crc = (uint32_t)crc32(0L, (const Bytef *)payload, len);
    unsigned char hdr[8] = {(unsigned char)len, (unsigned char)(len >> 8), 0, 0, (unsigned char)crc,
                            (unsigned char)(crc >> 8), (unsigned char)(crc >> 16), (unsigned char)(crc >> 24)};
    append_raw(hdr, 8);
    append_raw(payload, len);
    cr_expect_eq(cs_journal_verify_file(path, NULL, NULL, NULL), CASESCRIBE_EJOURNAL);
    cr_expect(strstr(casescribe_last_error(), "chain") != NULL, "%s", casescribe_last_error());
    j = open_journal(NULL);
    cr_expect_eq(cs_journal_failed(j), 1, "a forged entry at the end is not a torn write");
    cs_journal_close(j);
}

Test(journal, an_absurd_length_is_refused_without_allocating_it)
{
    cs_journal *j = open_journal(NULL);
    append_n(j, 1, "a");
    cs_journal_close(j);
    append_raw("\xff\xff\xff\x7f\x00\x00\x00\x00", 8);
    cr_expect_eq(cs_journal_verify_file(path, NULL, NULL, NULL), CASESCRIBE_EJOURNAL);
    cr_expect(strstr(casescribe_last_error(), "length") != NULL, "%s", casescribe_last_error());
}

Test(journal, an_oversized_entry_is_refused_on_append)
{
    cs_journal *j = open_journal(NULL);
    char *big = malloc(CS_JOURNAL_MAX_ENTRY + 16);
    memset(big, 'x', CS_JOURNAL_MAX_ENTRY + 15);
    big[CS_JOURNAL_MAX_ENTRY + 15] = '\0';
    cr_assert_eq(cs_journal_lock(j, NULL, NULL), CASESCRIBE_OK);
    json_t *e = json_pack("{s:s}", "big", big);
    cr_expect_neq(cs_journal_append_locked(j, e, NULL, NULL), CASESCRIBE_OK);
    json_decref(e);
    cs_journal_unlock(j);
    append_n(j, 1, "after");
    cr_expect_eq(cs_journal_verify_file(path, NULL, NULL, NULL), CASESCRIBE_OK);
    free(big);
    cs_journal_close(j);
}

static cs_journal *shared;

static void *append_many(void *arg)
{
    (void)arg;
    for (int i = 0; i < 200; i++) {
        if (cs_journal_lock(shared, NULL, NULL) != CASESCRIBE_OK)
            return (void *)1;
        json_t *e = json_pack("{s:s, s:i}", "kind", "thread", "i", i);
        int32_t rc = cs_journal_append_locked(shared, e, NULL, NULL);
        json_decref(e);
        cs_journal_unlock(shared);
        if (rc != CASESCRIBE_OK)
            return (void *)1;
    }
    return NULL;
}

Test(journal, eight_threads_never_interleave)
{
    shared = open_journal(NULL);
    pthread_t t[8];
    for (int i = 0; i < 8; i++)
        pthread_create(&t[i], NULL, append_many, NULL);
    for (int i = 0; i < 8; i++) {
        void *r;
        pthread_join(t[i], &r);
        cr_expect_null(r);
    }
    cs_journal_close(shared);
    uint64_t count = 0;
    cr_expect_eq(cs_journal_verify_file(path, &count, NULL, NULL), CASESCRIBE_OK, "%s", casescribe_last_error());
    cr_expect_eq(count, 1600);
}

Test(journal, four_processes_never_interleave_and_catch_up)
{
    cs_journal *j = open_journal(NULL);
    pid_t kids[4];
    for (int k = 0; k < 4; k++) {
        if ((kids[k] = fork()) == 0) {
            cs_journal *mine = NULL;
            if (cs_journal_open(&mine, path, 0, NULL, NULL) != CASESCRIBE_OK)
                _exit(2);
            for (int i = 0; i < 200; i++) {
                if (cs_journal_lock(mine, NULL, NULL) != CASESCRIBE_OK)
                    _exit(3);
                json_t *e = json_pack("{s:s, s:i, s:i}", "kind", "proc", "k", k, "i", i);
                int32_t rc = cs_journal_append_locked(mine, e, NULL, NULL);
                json_decref(e);
                cs_journal_unlock(mine);
                if (rc != CASESCRIBE_OK)
                    _exit(4);
            }
            cs_journal_close(mine);
            _exit(0);
        }
    }
    for (int k = 0; k < 4; k++) {
        int status = 0;
        waitpid(kids[k], &status, 0);
        cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child %d exit %d", k, WEXITSTATUS(status));
    }
    uint64_t count = 0;
    cr_expect_eq(cs_journal_verify_file(path, &count, NULL, NULL), CASESCRIBE_OK, "%s", casescribe_last_error());
    cr_expect_eq(count, 800);
    /* This handle saw none of them: taking the lock reads them in. */
    int caught_up = 0;
    cr_assert_eq(cs_journal_lock(j, count_visit, &caught_up), CASESCRIBE_OK);
    json_t *e = json_pack("{s:s}", "kind", "parent");
    uint64_t seq = 0;
    cr_expect_eq(cs_journal_append_locked(j, e, &seq, NULL), CASESCRIBE_OK);
    json_decref(e);
    cs_journal_unlock(j);
    cr_expect_eq(caught_up, 800);
    cr_expect_eq(seq, 801);
    json_t *read = NULL;
    cr_expect_eq(cs_journal_read_entry(&read, j, path, 400), CASESCRIBE_OK);
    cr_expect_str_eq(json_string_value(json_object_get(read, "kind")), "proc");
    json_decref(read);
    cs_journal_close(j);
}

Test(journal, durable_appends_with_fdatasync)
{
    cs_journal *j = NULL;
    cr_assert_eq(cs_journal_open(&j, path, 0, NULL, NULL), CASESCRIBE_OK);
    append_n(j, 5, "synced");
    cs_journal_close(j);
    uint64_t count = 0;
    cr_expect_eq(cs_journal_verify_file(path, &count, NULL, NULL), CASESCRIBE_OK);
    cr_expect_eq(count, 5);
}
