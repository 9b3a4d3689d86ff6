/* SPDX-License-Identifier: Apache-2.0 */
/* retention.c - the home's spool of taken recordings. */
#include "transcribe/retention.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

static int32_t spool_dir(char *out, size_t n, const char *home)
{
    int w = snprintf(out, n, "%s/audio", home);
    if (w < 0 || (size_t)w >= n)
        return cs_fail(CASESCRIBE_EINVAL, "the home path is too long");
    if (mkdir(out, 0700) == 0) {
        if (cs_fsync_parent(out) != 0)
            return cs_fail(CASESCRIBE_EIO, "cannot sync the home: %s", strerror(errno));
    } else if (errno != EEXIST) {
        return cs_fail(CASESCRIBE_EIO, "cannot create %s: %s", out, strerror(errno));
    }
    return CASESCRIBE_OK;
}

/* A random name with the recording's extension (a-z 0-9, at most 5), so
 * the decoder can still tell MP3 from WAV by name where it must. */
static int32_t spool_name(char *out, size_t n, const char *dir, const char *path)
{
    uint8_t raw[12];
    char hex[25], ext[8] = "";
    if (RAND_bytes(raw, sizeof(raw)) != 1)
        return cs_fail(CASESCRIBE_EINTERNAL, "no random bytes for a file name");
    cs_hex(hex, raw, sizeof(raw));
    const char *dot = strrchr(path, '.'), *slash = strrchr(path, '/');
    if (dot != NULL && (slash == NULL || dot > slash) && strlen(dot) <= 6) {
        size_t k = 0;
        for (const char *p = dot + 1; *p != '\0' && k < 5; p++)
            if ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || (*p >= 'A' && *p <= 'Z'))
                ext[k++] = (char)(*p | 0x20);
        ext[k] = '\0';
    }
    int w = snprintf(out, n, "%s/%s%s%s", dir, hex, ext[0] ? "." : "", ext);
    return w > 0 && (size_t)w < n ? CASESCRIBE_OK : cs_fail(CASESCRIBE_EINVAL, "the home path is too long");
}

/* Across file systems: copy into the spool, sync, then remove the source. */
static int32_t copy_in(const char *from, const char *to)
{
    int in = open(from, O_RDONLY | O_CLOEXEC);
    int out = in >= 0 ? open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600) : -1;
    char buf[65536];
    ssize_t n = 0;
    int ok = in >= 0 && out >= 0;
    while (ok && (n = read(in, buf, sizeof(buf))) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        ok = n > 0 && write(out, buf, (size_t)n) == n;
    }
    int e = errno;
    ok = ok && fsync(out) == 0;
    if (in >= 0)
        close(in);
    if (out >= 0)
        ok = close(out) == 0 && ok;
    if (ok && unlink(from) == 0)
        return CASESCRIBE_OK;
    if (out >= 0)
        unlink(to);
    return cs_fail(in < 0 && e == ENOENT ? CASESCRIBE_ENOTFOUND : CASESCRIBE_EIO, "cannot take the recording: %s",
                   strerror(e));
}

int32_t cs_audio_take(char **spooled, const char *home, const char *path)
{
    *spooled = NULL;
    char dir[4096], to[4200];
    int32_t rc = spool_dir(dir, sizeof(dir), home);
    if (rc == CASESCRIBE_OK)
        rc = spool_name(to, sizeof(to), dir, path);
    if (rc != CASESCRIBE_OK)
        return rc;
    if (rename(path, to) != 0) {
        if (errno == ENOENT)
            return cs_fail(CASESCRIBE_ENOTFOUND, "cannot take the recording: it does not exist");
        if (errno != EXDEV)
            return cs_fail(CASESCRIBE_EIO, "cannot take the recording: %s", strerror(errno));
        if ((rc = copy_in(path, to)) != CASESCRIBE_OK)
            return rc;
    }
    chmod(to, 0600);
    /* Held for a day while the job runs, so that a sweep meanwhile leaves
     * it (and a host that dies mid-job does not leave it for ever). */
    int64_t now = cs_now();
    struct timespec hold[2] = {{(time_t)now, 0}, {(time_t)(now + 86400), 0}};
    if (utimensat(AT_FDCWD, to, hold, 0) != 0 || cs_fsync_parent(to) != 0 || (*spooled = cs_strdup(to)) == NULL) {
        cs_audio_give_back(to, path);
        return cs_fail(CASESCRIBE_EIO, "cannot keep the recording in the home");
    }
    return CASESCRIBE_OK;
}

void cs_audio_give_back(const char *spooled, const char *path)
{
    /* link + unlink, not rename: rename would replace whatever is at
     * `path` now. Across file systems the recording stays in the spool. */
    if (link(spooled, path) == 0)
        unlink(spooled);
}

int32_t cs_audio_retain(int *deleted, const char *spooled, uint32_t days, int64_t now)
{
    *deleted = 0;
    if (days == 0) {
        if (unlink(spooled) != 0 && errno != ENOENT)
            return cs_fail(CASESCRIBE_EIO, "cannot delete the recording: %s", strerror(errno));
        *deleted = 1;
        return cs_fsync_parent(spooled) == 0 ? CASESCRIBE_OK
                                             : cs_fail(CASESCRIBE_EIO, "cannot sync the audio folder");
    }
    struct timespec times[2] = {{(time_t)now, 0}, {(time_t)(now + (int64_t)days * 86400), 0}};
    if (utimensat(AT_FDCWD, spooled, times, 0) != 0)
        return cs_fail(CASESCRIBE_EIO, "cannot set the recording's deletion time: %s", strerror(errno));
    return CASESCRIBE_OK;
}

int32_t cs_audio_sweep(const char *home, int64_t now, uint32_t *deleted, void (*on_delete)(const char *, void *),
                       void *user)
{
    if (deleted != NULL)
        *deleted = 0;
    char dir[4096];
    int w = snprintf(dir, sizeof(dir), "%s/audio", home);
    if (w < 0 || (size_t)w >= sizeof(dir))
        return cs_fail(CASESCRIBE_EINVAL, "the home path is too long");
    DIR *d = opendir(dir);
    if (d == NULL)
        return errno == ENOENT ? CASESCRIBE_OK : cs_fail(CASESCRIBE_EIO, "cannot read %s: %s", dir, strerror(errno));
    int32_t rc = CASESCRIBE_OK;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        struct stat st;
        if (e->d_name[0] == '.' || fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
            !S_ISREG(st.st_mode) || (int64_t)st.st_mtim.tv_sec > now)
            continue;
        if (unlinkat(dirfd(d), e->d_name, 0) != 0) {
            rc = cs_fail(CASESCRIBE_EIO, "cannot delete an expired recording: %s", strerror(errno));
            continue;
        }
        if (deleted != NULL)
            (*deleted)++;
        if (on_delete != NULL)
            on_delete(e->d_name, user);
    }
    closedir(d);
    return rc;
}
