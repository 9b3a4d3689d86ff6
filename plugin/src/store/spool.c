/* SPDX-License-Identifier: Apache-2.0 */
/* spool.c - the folders of jobs that survive a restart. */
#include "store/spool.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "provenance/keys.h"

struct cs_spool {
    char dir[4200];
    int claim; /* the flock'd descriptor */
};

int32_t cs_spool_new_id(char id[CS_JOB_ID_LEN])
{
    uint8_t raw[16];
    if (RAND_bytes(raw, sizeof(raw)) != 1)
        return cs_fail(CASESCRIBE_EINTERNAL, "no random bytes for a job id");
    cs_hex(id, raw, sizeof(raw));
    return CASESCRIBE_OK;
}

int cs_spool_valid_id(const char *id)
{
    if (id == NULL || strlen(id) != CS_JOB_ID_LEN - 1)
        return 0;
    for (const char *p = id; *p != '\0'; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
            return 0;
    return 1;
}

/* mkdir 0700 (synced into its parent), or an existing folder. */
static int32_t make_dir(const char *dir)
{
    if (mkdir(dir, 0700) == 0)
        return cs_fsync_parent(dir) == 0 ? CASESCRIBE_OK : cs_fail(CASESCRIBE_EIO, "cannot sync %s", dir);
    return errno == EEXIST ? CASESCRIBE_OK : cs_fail(CASESCRIBE_EIO, "cannot create %s: %s", dir, strerror(errno));
}

static int32_t claim(cs_spool *sp)
{
    char path[4300];
    snprintf(path, sizeof(path), "%s/claim", sp->dir);
    sp->claim = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (sp->claim < 0)
        return cs_fail(CASESCRIBE_EIO, "cannot open the job's claim file: %s", strerror(errno));
    if (flock(sp->claim, LOCK_EX | LOCK_NB) == 0)
        return CASESCRIBE_OK;
    int e = errno;
    close(sp->claim);
    sp->claim = -1;
    return e == EWOULDBLOCK ? cs_fail(CASESCRIBE_EBUSY, "the job is being run by another process")
                            : cs_fail(CASESCRIBE_EIO, "cannot claim the job: %s", strerror(e));
}

int32_t cs_spool_open(cs_spool **out, const char *home, const char *id, int create)
{
    *out = NULL;
    if (!cs_spool_valid_id(id))
        return cs_fail(CASESCRIBE_EINVAL, "a job id is 32 hex digits");
    cs_spool *sp = calloc(1, sizeof(*sp));
    if (sp == NULL)
        return cs_fail(CASESCRIBE_ENOMEM, "out of memory");
    sp->claim = -1;
    int w = snprintf(sp->dir, sizeof(sp->dir), "%s/jobs", home);
    int32_t rc = w > 0 && (size_t)w + CS_JOB_ID_LEN + 1 < sizeof(sp->dir) - 64
                     ? CASESCRIBE_OK
                     : cs_fail(CASESCRIBE_EINVAL, "the home path is too long");
    if (rc == CASESCRIBE_OK && create)
        rc = make_dir(sp->dir);
    if (rc == CASESCRIBE_OK) {
        snprintf(sp->dir + w, sizeof(sp->dir) - (size_t)w, "/%s", id);
        struct stat st;
        if (create)
            rc = make_dir(sp->dir);
        else if (lstat(sp->dir, &st) != 0 || !S_ISDIR(st.st_mode))
            rc = cs_fail(CASESCRIBE_ENOTFOUND, "the job's input is no longer in the home (%s)", sp->dir);
    }
    if (rc == CASESCRIBE_OK)
        rc = claim(sp);
    if (rc != CASESCRIBE_OK) {
        free(sp);
        return rc;
    }
    *out = sp;
    return CASESCRIBE_OK;
}

void cs_spool_close(cs_spool *sp)
{
    if (sp == NULL)
        return;
    if (sp->claim >= 0)
        close(sp->claim); /* releases the flock */
    free(sp);
}

void cs_spool_remove(cs_spool *sp)
{
    if (sp == NULL)
        return;
    DIR *d = opendir(sp->dir);
    for (struct dirent *e; d != NULL && (e = readdir(d)) != NULL;)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            unlinkat(dirfd(d), e->d_name, 0);
    if (d != NULL)
        closedir(d);
    if (rmdir(sp->dir) == 0)
        cs_fsync_parent(sp->dir);
    cs_spool_close(sp);
}

int32_t cs_spool_path(const cs_spool *sp, const char *name, char *out, size_t n)
{
    int w = snprintf(out, n, "%s/%s", sp->dir, name);
    return w > 0 && (size_t)w < n ? CASESCRIBE_OK : cs_fail(CASESCRIBE_EINVAL, "the home path is too long");
}

int32_t cs_spool_write(cs_spool *sp, const char *name, const void *data, size_t len)
{
    char path[4300];
    int32_t rc = cs_spool_path(sp, name, path, sizeof(path));
    return rc == CASESCRIBE_OK ? cs_write_file_atomic(path, data, len, 0600) : rc;
}

/* Copies descriptor `in` to `out` and syncs it. 0, or -1 with errno. */
static int copy_fd(int in, int out)
{
    char buf[65536];
    for (ssize_t n; (n = read(in, buf, sizeof(buf))) != 0;) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        ssize_t done = 0;
        while (done < n) {
            ssize_t k = write(out, buf + done, (size_t)(n - done));
            if (k < 0 && errno != EINTR)
                return -1;
            done += k > 0 ? k : 0;
        }
    }
    return fsync(out);
}

int32_t cs_spool_copy_in(cs_spool *sp, const char *name, const char *from)
{
    char path[4300];
    int32_t rc = cs_spool_path(sp, name, path, sizeof(path));
    if (rc != CASESCRIBE_OK)
        return rc;
    int in = open(from, O_RDONLY | O_CLOEXEC);
    if (in < 0)
        return errno == ENOENT ? cs_fail(CASESCRIBE_ENOTFOUND, "the recording does not exist")
                               : cs_fail(CASESCRIBE_EIO, "cannot read the recording: %s", strerror(errno));
    unlink(path); /* a copy left by an earlier try */
    int out = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    int ok = out >= 0 && copy_fd(in, out) == 0;
    int e = errno;
    close(in);
    if (out >= 0)
        ok = close(out) == 0 && ok;
    if (ok && cs_fsync_parent(path) == 0)
        return CASESCRIBE_OK;
    unlink(path);
    return cs_fail(CASESCRIBE_EIO, "cannot keep the job's input in the home: %s", strerror(e));
}

int32_t cs_spool_read(const cs_spool *sp, const char *name, uint8_t **out, size_t *len, size_t max)
{
    char path[4300];
    int32_t rc = cs_spool_path(sp, name, path, sizeof(path));
    return rc == CASESCRIBE_OK ? cs_read_file(out, len, path, max) : rc;
}
