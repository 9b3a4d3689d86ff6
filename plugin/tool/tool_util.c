/* SPDX-License-Identifier: Apache-2.0 */
/* tool_util.c - what every subcommand uses: reading and writing files,
 * opening the home, the admin's name. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "casescribe.h"
#include "tool.h"

/* CASESCRIBE_OPEN_READ_ONLY when --read-only was given. */
uint32_t tool_open_flags;

int tool_read_file(const char *path, uint8_t **out, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "casescribe: cannot open %s: %s\n", path, strerror(errno));
        return -1;
    }
    size_t cap = (size_t)CASESCRIBE_MAX_PAYLOAD + 1, n = 0;
    uint8_t *buf = malloc(cap);
    if (buf != NULL)
        n = fread(buf, 1, cap, f);
    int bad = buf == NULL || ferror(f);
    fclose(f);
    if (bad || n == cap) {
        fprintf(stderr, "casescribe: cannot read %s: %s\n", path, bad ? "read error" : "file too large");
        free(buf);
        return -1;
    }
    *out = buf;
    *len = n;
    return 0;
}

/* Writes the stamped record beside its final name, syncs it and renames it
 * into place: the save is already journalled, so a half-written output
 * file would leave the worker with a record the home no longer accepts.
 * Mode 0600 whatever the umask: records and drafts hold personal data. */
int tool_write_file(const char *path, const uint8_t *data, size_t len)
{
    size_t n = strlen(path) + 16;
    char *tmp = malloc(n);
    if (tmp == NULL) {
        fprintf(stderr, "casescribe: out of memory\n");
        return -1;
    }
    snprintf(tmp, n, "%s.tmp.XXXXXX", path);
    int fd = mkstemp(tmp);
    FILE *f = fd >= 0 ? fdopen(fd, "wb") : NULL;
    int ok = f != NULL && fwrite(data, 1, len, f) == len && fflush(f) == 0 && fsync(fileno(f)) == 0 &&
             fchmod(fileno(f), 0600) == 0;
    if (f != NULL)
        ok = fclose(f) == 0 && ok;
    else if (fd >= 0)
        close(fd);
    ok = ok && rename(tmp, path) == 0;
    if (!ok) {
        fprintf(stderr, "casescribe: cannot write %s: %s\n", path, strerror(errno));
        if (fd >= 0)
            unlink(tmp);
    }
    free(tmp);
    return ok ? 0 : -1;
}

int tool_open_home(casescribe_ctx **ctx, const char *home, uint32_t flags)
{
    casescribe_ctx_options opts;
    casescribe_ctx_options_init(&opts, sizeof(opts));
    opts.home = home;
    opts.flags = flags | tool_open_flags;
    int32_t rc = casescribe_ctx_open(ctx, &opts);
    return rc == CASESCRIBE_OK ? 0 : tool_fail("cannot open the home", rc);
}

/* The admin named in the audit entry: --actor, else the login name. */
const char *tool_admin_name(const char *given)
{
    const char *user = getenv("USER");
    return given != NULL ? given : user != NULL && user[0] != '\0' ? user : "admin";
}
