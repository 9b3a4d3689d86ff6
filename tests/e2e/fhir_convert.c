/* SPDX-License-Identifier: Apache-2.0 */
/* fhir_convert.c - the "fhir" adapter's own readers and writers, for the
 * end-to-end test (tests/e2e/fhir.sh): rewrites a FHIR payload as FHIR XML
 * or JSON (so that the JSON the adapter writes can be checked against the
 * official XML schema), shows the reference form it decodes to, or prints
 * the Provenance's signed payload and JWS.
 *
 *   fhir_convert xml|json|form|canonical|jws FILE   (the result on stdout) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fhir/fhir.h"

static int read_all(const char *path, uint8_t **out, size_t *len)
{
    FILE *f = fopen(path, "rb");
    size_t cap = (size_t)CASESCRIBE_MAX_PAYLOAD + 1;
    uint8_t *buf = f != NULL ? malloc(cap) : NULL;
    size_t n = buf != NULL ? fread(buf, 1, cap, f) : 0;
    int bad = f == NULL || buf == NULL || ferror(f) || n == cap;
    if (f != NULL)
        fclose(f);
    if (bad) {
        free(buf);
        return -1;
    }
    *out = buf;
    *len = n;
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fputs("usage: fhir_convert xml|json|form|canonical|jws FILE\n", stderr);
        return 2;
    }
    uint8_t *in = NULL, *out = NULL;
    size_t len = 0, out_len = 0;
    char *canonical = NULL, *jws = NULL;
    if (read_all(argv[2], &in, &len) != 0) {
        fprintf(stderr, "fhir_convert: cannot read %s\n", argv[2]);
        return 1;
    }
    const char *what = argv[1];
    int32_t rc = CASESCRIBE_EINVAL;
    if (strcmp(what, "xml") == 0 || strcmp(what, "json") == 0)
        rc = cs_fhir_convert(&out, &out_len, in, len, what[0] == 'x' ? CS_FHIR_XML : CS_FHIR_JSON);
    else if (strcmp(what, "form") == 0)
        rc = cs_fhir_decode(&out, &out_len, in, len);
    else if (strcmp(what, "canonical") == 0 || strcmp(what, "jws") == 0)
        rc = cs_fhir_signed_payload(&canonical, &out_len, &jws, in, len);
    if (rc == CASESCRIBE_OK && out != NULL)
        fwrite(out, 1, out_len, stdout);
    else if (rc == CASESCRIBE_OK)
        fputs(what[0] == 'c' ? canonical : jws, stdout);
    else
        fprintf(stderr, "fhir_convert: %s: %s\n", what, casescribe_last_error());
    free(in);
    free(out);
    free(canonical);
    free(jws);
    return rc == CASESCRIBE_OK ? 0 : 1;
}
