/* SPDX-License-Identifier: Apache-2.0 */
/* manifest.c - sealing a subject access export and checking one.
 *
 * The seal is deliberately checkable without CaseScribe: manifest.sig is
 * the raw Ed25519 signature of manifest.xml's exact bytes (OpenSSL's
 * `pkeyutl -verify -rawin` checks it), and manifest.xml gives each file's
 * SHA-256 in the form sha256sum prints. README.txt walks through it. */
#include <libxml/tree.h>
#include <openssl/err.h>
#include <stdlib.h>
#include <string.h>
#include <zip.h>

#include "provenance/keys.h"
#include "sar/sar.h"
#include "xml/safe_parse.h"
#include "xml/schema.h"

extern const unsigned char cs_sar_manifest_schema[];
extern const unsigned int cs_sar_manifest_schema_len;
static cs_xml_schema manifest_schema =
    CS_XML_SCHEMA_INIT(cs_sar_manifest_schema, cs_sar_manifest_schema_len, "urn:casescribe:sar:1 manifest");

#define MAX_ENTRIES 1000u
#define MAX_ENTRY_BYTES ((uint64_t)8 << 30) /* a larger file is reported, not read */
#define MAX_KEY_BYTES (16u << 10)

/* ---- hashing, signing ------------------------------------------------------------ */

/* Feeds `read` (a file or a ZIP entry) through SHA-256. */
typedef int64_t (*reader_fn)(void *src, void *buf, size_t len);

static int32_t sha256_stream(char hex[65], uint64_t *bytes, reader_fn read, void *src, uint64_t max)
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    uint8_t buf[65536], digest[32];
    unsigned int dlen = 0;
    int ok = md != NULL && EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1;
    int64_t n = 0;
    *bytes = 0;
    while (ok && (n = read(src, buf, sizeof(buf))) > 0 && *bytes <= max) {
        ok = EVP_DigestUpdate(md, buf, (size_t)n) == 1;
        *bytes += (uint64_t)n;
    }
    ok = ok && n == 0 && *bytes <= max && EVP_DigestFinal_ex(md, digest, &dlen) == 1;
    EVP_MD_CTX_free(md);
    ERR_clear_error();
    if (!ok)
        return CASESCRIBE_EIO;
    cs_hex(hex, digest, sizeof(digest));
    return CASESCRIBE_OK;
}

static int64_t read_stdio(void *src, void *buf, size_t len)
{
    size_t n = fread(buf, 1, len, src);
    return n == 0 && ferror((FILE *)src) ? -1 : (int64_t)n;
}

int32_t cs_sha256_file(char hex[65], uint64_t *bytes, const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return cs_fail(CASESCRIBE_EIO, "cannot read a part of the export");
    int32_t rc = sha256_stream(hex, bytes, read_stdio, f, UINT64_MAX);
    fclose(f);
    return rc == CASESCRIBE_OK ? rc : cs_fail(rc, "cannot hash a part of the export");
}

int32_t cs_sar_sign(uint8_t sig[64], EVP_PKEY *key, const uint8_t *msg, size_t len)
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    size_t siglen = 64;
    int ok = md != NULL && EVP_DigestSignInit(md, NULL, NULL, NULL, key) == 1 &&
             EVP_DigestSign(md, sig, &siglen, msg, len) == 1 && siglen == 64;
    EVP_MD_CTX_free(md);
    ERR_clear_error();
    return ok ? CASESCRIBE_OK : cs_fail(CASESCRIBE_EKEY, "cannot sign the manifest with the home's key");
}

static int signature_ok(EVP_PKEY *key, const uint8_t *sig, size_t siglen, const uint8_t *msg, size_t len)
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    int ok = md != NULL && siglen == 64 && EVP_DigestVerifyInit(md, NULL, NULL, NULL, key) == 1 &&
             EVP_DigestVerify(md, sig, siglen, msg, len) == 1;
    EVP_MD_CTX_free(md);
    ERR_clear_error();
    return ok;
}

/* ---- README.txt -------------------------------------------------------------------- */

int32_t cs_sar_readme(char **out, const char *key_id, const char *fingerprint)
{
    cs_buf b = {0};
    cs_buf_printf(&b,
        "Your records: what is in this file, and how to check it\n"
        "=======================================================\n\n"
        "This ZIP file holds a copy of the records the council holds about you.\n\n"
        "  report.html     Your records, to read in any web browser. Start here.\n"
        "  records.xml     The same records in a form computers can read, with the\n"
        "                  details of how each one was made (its provenance).\n"
        "  manifest.xml    A list of the files here with a fingerprint (SHA-256) of\n"
        "                  each, and the fingerprint of every record.\n"
        "  manifest.sig    The council's digital signature of manifest.xml.\n"
        "  public-key.pem  The council's public key, to check that signature.\n\n"
        "How to check that nothing has been changed\n"
        "------------------------------------------\n"
        "With CaseScribe installed:\n\n"
        "    casescribe sar verify THIS-FILE.zip --key THE-COUNCILS-KEY.pem\n\n"
        "It names any file that was changed, added or taken away. Without\n"
        "--key it can only say the files match each other (\"NOT PROVEN\").\n\n"
        "By hand, with OpenSSL 3 and sha256sum (both free):\n\n"
        " 1. Unzip this file into an empty folder and go into it.\n"
        " 2. Check the signature of the manifest:\n\n"
        "      openssl pkeyutl -verify -pubin -inkey public-key.pem -rawin \\\n"
        "              -in manifest.xml -sigfile manifest.sig\n\n"
        "    It must say \"Signature Verified Successfully\".\n"
        " 3. Work out the fingerprint of each other file:\n\n"
        "      sha256sum report.html records.xml public-key.pem README.txt\n\n"
        "    Each must be the sha256 that manifest.xml gives for that file.\n"
        " 4. Steps 2 and 3 show only that the files match the key in\n"
        "    public-key.pem (key id %s).\n"
        "    Check that this key is the council's, as the next part says.\n\n"
        "Is it really from the council? Compare the key's fingerprint\n"
        "-------------------------------------------------------------\n"
        "Anyone could change these files, make a key of their own and seal\n"
        "them again: the checks above would still pass. Only the council's\n"
        "key shows the council sealed them. This export was sealed with the\n"
        "key whose fingerprint is:\n\n"
        "    %s\n\n"
        "Compare it, digit by digit, with the fingerprint the council\n"
        "publishes (on its website and in the letter that came with this\n"
        "file; or ask its data protection officer). If they differ, do not\n"
        "rely on this file: tell the council. To work the fingerprint out\n"
        "from public-key.pem yourself:\n\n"
        "      openssl pkey -pubin -in public-key.pem -outform DER | sha256sum\n\n"
        "It prints the same 64 digits and letters, without the spaces.\n\n"
        "Each record also carries its own seal, made when it was saved. In\n"
        "manifest.xml, every record has its \"digest\" (the fingerprint of that\n"
        "seal), \"provenance\" (whether the seal checked out when this copy\n"
        "was made) and \"journal\" (whether it is the latest version in the\n"
        "council's own journal of saves). Where information about other people\n"
        "was taken out ([redacted]), manifest.xml says how many places and why,\n"
        "but not what was taken out; such records come without their seal in\n"
        "records.xml, since its fingerprints would give the removed words away.\n",
        key_id, fingerprint);
    *out = cs_buf_take(&b);
    cs_buf_free(&b);
    return *out != NULL ? CASESCRIBE_OK : cs_fail(CASESCRIBE_ENOMEM, "out of memory");
}

/* ---- zipping --------------------------------------------------------------------- */

int32_t cs_sar_zip(const char *zip_path, const char *dir, const char *const *names, size_t n)
{
    int err = 0;
    zip_t *za = zip_open(zip_path, ZIP_CREATE | ZIP_TRUNCATE, &err);
    if (za == NULL)
        return cs_fail(CASESCRIBE_EIO, "cannot make the export's ZIP file (libzip error %d)", err);
    for (size_t i = 0; i < n; i++) {
        char path[4200];
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        zip_source_t *src = zip_source_file(za, path, 0, -1);
        if (src == NULL || zip_file_add(za, names[i], src, ZIP_FL_ENC_UTF_8) < 0) {
            zip_source_free(src);
            zip_discard(za);
            return cs_fail(CASESCRIBE_EIO, "cannot add %s to the export", names[i]);
        }
    }
    if (zip_close(za) != 0) {
        int32_t rc = cs_fail(CASESCRIBE_EIO, "cannot write the export's ZIP file: %s", zip_strerror(za));
        zip_discard(za);
        return rc;
    }
    return CASESCRIBE_OK;
}

/* ---- checking a bundle ------------------------------------------------------------ */

/* A name from the ZIP as it may be printed: control characters become '?'. */
static void put_name(cs_buf *b, const char *name)
{
    cs_buf_printf(b, "'");
    for (const char *p = name; *p != '\0' && p - name < 200; p++)
        cs_buf_printf(b, "%c", (unsigned char)*p < 0x20 || *p == 0x7f ? '?' : *p);
    cs_buf_printf(b, "'");
}

static int64_t read_zip(void *src, void *buf, size_t len)
{
    return zip_fread(src, buf, len);
}

/* The whole of a small entry, or NULL (absent, too big, unreadable). */
static uint8_t *read_entry(zip_t *za, const char *name, size_t max, size_t *len)
{
    zip_stat_t st;
    zip_int64_t idx = zip_name_locate(za, name, 0);
    if (idx < 0 || zip_stat_index(za, (zip_uint64_t)idx, 0, &st) != 0 || !(st.valid & ZIP_STAT_SIZE) ||
        st.size > max)
        return NULL;
    zip_file_t *zf = zip_fopen_index(za, (zip_uint64_t)idx, 0);
    uint8_t *data = zf != NULL ? malloc((size_t)st.size + 1) : NULL;
    zip_int64_t n = data != NULL ? zip_fread(zf, data, st.size) : -1;
    if (zf != NULL)
        zip_fclose(zf);
    if (n < 0 || (zip_uint64_t)n != st.size) {
        free(data);
        return NULL;
    }
    data[n] = '\0';
    *len = (size_t)n;
    return data;
}

/* 1 when the entry hashes to `hex`, 0 when not, -1 when it cannot be read. */
static int entry_matches(zip_t *za, zip_int64_t idx, const char *hex, uint64_t bytes)
{
    zip_file_t *zf = zip_fopen_index(za, (zip_uint64_t)idx, 0);
    if (zf == NULL)
        return -1;
    char got[65];
    uint64_t n = 0;
    /* Read no more than the manifest says the file holds (and one byte to
     * see it is longer): a ZIP bomb costs nothing. */
    int32_t rc = sha256_stream(got, &n, read_zip, zf, bytes < MAX_ENTRY_BYTES ? bytes : MAX_ENTRY_BYTES);
    zip_fclose(zf);
    if (rc != CASESCRIBE_OK)
        return -1;
    return n == bytes && strcmp(got, hex) == 0;
}

struct check {
    zip_t *za;
    cs_buf *report;
    unsigned problems;
    uint8_t *listed;             /* per ZIP entry: named by the manifest (or the manifest itself) */
    char key_id[CS_KEY_ID_MAX];  /* the key the signature was checked with */
    int pinned;                  /* that key was the caller's, not the bundle's own */
    char fingerprint[CS_KEY_FINGERPRINT_MAX]; /* that key's, as a council publishes it */
};

static void problem(struct check *ck, const char *what, const char *name, const char *why)
{
    cs_buf_printf(ck->report, "%s: ", what);
    put_name(ck->report, name);
    cs_buf_printf(ck->report, "%s%s\n", why != NULL ? " " : "", why != NULL ? why : "");
    ck->problems++;
}

static char *attr(xmlNodePtr n, const char *name)
{
    xmlChar *v = xmlGetNoNsProp(n, (const xmlChar *)name);
    char *copy = v != NULL ? cs_strdup((const char *)v) : NULL;
    xmlFree(v);
    return copy;
}

static void check_file(struct check *ck, xmlNodePtr n)
{
    char *name = attr(n, "name"), *hex = attr(n, "sha256"), *bytes = attr(n, "bytes");
    if (name == NULL || hex == NULL || bytes == NULL) {
        ck->problems++;
        cs_buf_printf(ck->report, "the manifest could not be read (out of memory)\n");
    } else {
        zip_int64_t idx = zip_name_locate(ck->za, name, 0);
        if (idx < 0) {
            problem(ck, "missing", name, "(the manifest lists it, the bundle does not hold it)");
        } else {
            ck->listed[idx] = 1;
            int m = entry_matches(ck->za, idx, hex, strtoull(bytes, NULL, 10));
            if (m == 0)
                problem(ck, "changed", name, "(its SHA-256 is not the one in the manifest)");
            else if (m < 0)
                problem(ck, "changed", name, "(it cannot be read: damaged or too large)");
        }
    }
    free(name);
    free(hex);
    free(bytes);
}

/* Counts the manifest's records by their provenance at export. */
static void summarise_records(cs_buf *report, xmlNodePtr root)
{
    unsigned long long total = 0, verified = 0, redacted = 0;
    for (xmlNodePtr n = root->children; n != NULL; n = n->next) {
        if (cs_xml_is_element(n, "record")) {
            char *p = attr(n, "provenance");
            total++;
            verified += p != NULL && strcmp(p, "verified") == 0;
            free(p);
        } else if (cs_xml_is_element(n, "redaction")) {
            redacted++;
        }
    }
    cs_buf_printf(report, "records: %llu (%llu verified when exported, %llu not); %llu with redactions\n", total,
                  verified, total - verified, redacted);
}

/* ---- the ledger checkpoint a manifest carries ------------------------------------- */

int cs_sar_is_export(const uint8_t *data, size_t len)
{
    static const char ns[] = "urn:casescribe:sar:1";
    if (len >= 4 && memcmp(data, "PK\x03\x04", 4) == 0)
        return 1;
    size_t head = len < 512 ? len : 512;
    return memmem(data, head, "<manifest", 9) != NULL && memmem(data, head, ns, sizeof(ns) - 1) != NULL;
}

/* The <checkpoint> of a manifest's bytes. */
static int32_t manifest_checkpoint(char **text, size_t *len, const uint8_t *manifest, size_t mlen)
{
    xmlDocPtr doc = NULL;
    int32_t rc = cs_xml_parse(&doc, manifest, mlen, CS_SAR_MAX_MANIFEST);
    if (rc == CASESCRIBE_OK)
        rc = cs_xml_schema_validate(&manifest_schema, doc);
    xmlNodePtr n = rc == CASESCRIBE_OK ? xmlDocGetRootElement(doc)->children : NULL;
    while (n != NULL && !cs_xml_is_element(n, "checkpoint"))
        n = n->next;
    xmlChar *content = n != NULL ? xmlNodeGetContent(n) : NULL;
    if (rc == CASESCRIBE_OK && n == NULL)
        rc = cs_fail(CASESCRIBE_ENOTFOUND, "the export's manifest carries no ledger checkpoint (made before 1.7, "
                     "or before the home's first commit)");
    else if (rc == CASESCRIBE_OK && (content == NULL || (*text = strdup((const char *)content)) == NULL))
        rc = cs_fail(CASESCRIBE_ENOMEM, "out of memory");
    if (rc == CASESCRIBE_OK)
        *len = strlen(*text);
    xmlFree(content);
    xmlFreeDoc(doc);
    return rc;
}

/* manifest.xml of a ZIP in memory. */
static int32_t zipped_manifest(uint8_t **out, size_t *len, const uint8_t *data, size_t data_len)
{
    zip_error_t err;
    zip_error_init(&err);
    zip_source_t *src = zip_source_buffer_create(data, data_len, 0, &err);
    zip_t *za = src != NULL ? zip_open_from_source(src, ZIP_RDONLY | ZIP_CHECKCONS, &err) : NULL;
    if (za == NULL) {
        zip_source_free(src);
        zip_error_fini(&err);
        return cs_fail(CASESCRIBE_EPARSE, "the export cannot be opened as a ZIP file");
    }
    *out = read_entry(za, CS_SAR_MANIFEST, CS_SAR_MAX_MANIFEST, len);
    zip_discard(za);
    zip_error_fini(&err);
    return *out != NULL ? CASESCRIBE_OK : cs_fail(CASESCRIBE_EPARSE, "the ZIP holds no readable manifest.xml");
}

int32_t cs_sar_checkpoint(char **text, size_t *len, const uint8_t *data, size_t data_len)
{
    *text = NULL;
    *len = 0;
    if (data_len < 4 || memcmp(data, "PK\x03\x04", 4) != 0)
        return manifest_checkpoint(text, len, data, data_len);
    uint8_t *manifest = NULL;
    size_t mlen = 0;
    int32_t rc = zipped_manifest(&manifest, &mlen, data, data_len);
    if (rc == CASESCRIBE_OK)
        rc = manifest_checkpoint(text, len, manifest, mlen);
    free(manifest);
    return rc;
}

/* The report's line on the checkpoint a manifest carries: its origin and
 * size (the signature over the manifest vouches for it). */
static void describe_checkpoint(cs_buf *report, xmlNodePtr root)
{
    xmlNodePtr n = root->children;
    while (n != NULL && !cs_xml_is_element(n, "checkpoint"))
        n = n->next;
    xmlChar *c = n != NULL ? xmlNodeGetContent(n) : NULL;
    if (c == NULL)
        return;
    const char *origin = (const char *)c, *size = strchr(origin, '\n');
    int olen = size != NULL ? (int)(size - origin) : 0;
    unsigned long long entries = size != NULL ? strtoull(size + 1, NULL, 10) : 0;
    cs_buf_printf(report, "checkpoint: the council's ledger %.*s had %llu entries when this was exported (check a "
                  "ledger against it: casescribe journal verify --checkpoint EXPORT.zip)\n", olen > 64 ? 64 : olen,
                  origin, entries);
    xmlFree(c);
}

/* Reads and checks the manifest against the ZIP's files. */
static void check_manifest(struct check *ck, const uint8_t *manifest, size_t len)
{
    xmlDocPtr doc = NULL;
    int32_t rc = cs_xml_parse(&doc, manifest, len, CS_SAR_MAX_MANIFEST);
    if (rc == CASESCRIBE_OK)
        rc = cs_xml_schema_validate(&manifest_schema, doc);
    if (rc != CASESCRIBE_OK) {
        problem(ck, "changed", CS_SAR_MANIFEST, "(it is not a valid manifest)");
        cs_buf_printf(ck->report, "  %s\n", casescribe_last_error());
        xmlFreeDoc(doc);
        return;
    }
    xmlNodePtr root = xmlDocGetRootElement(doc);
    char *named = attr(root, "key-id");
    if (named != NULL && ck->key_id[0] != '\0' && strcmp(named, ck->key_id) != 0)
        problem(ck, "changed", CS_SAR_MANIFEST, "(it names another key than the one that signed it)");
    free(named);
    for (xmlNodePtr n = root->children; n != NULL; n = n->next)
        if (cs_xml_is_element(n, "file"))
            check_file(ck, n);
    summarise_records(ck->report, root);
    describe_checkpoint(ck->report, root);
    xmlFreeDoc(doc);
}

/* The key to check with: the one given, else the bundle's own. */
static EVP_PKEY *load_key(struct check *ck, const uint8_t *pem, size_t pem_len)
{
    size_t len = 0;
    uint8_t *own = read_entry(ck->za, "public-key.pem", MAX_KEY_BYTES, &len);
    const uint8_t *use = pem != NULL ? pem : own;
    size_t use_len = pem != NULL ? pem_len : len;
    char id[CS_KEY_ID_MAX] = "", own_id[CS_KEY_ID_MAX] = "";
    cs_keyring *ring = NULL;
    EVP_PKEY *key = NULL;
    if (use != NULL && cs_key_id_of_pem(id, use, use_len) == CASESCRIBE_OK &&
        cs_keyring_from_pem(&ring, use, use_len) == CASESCRIBE_OK)
        cs_keyring_public(ring, id, &key);
    if (key != NULL && cs_key_fingerprint(ck->fingerprint, key) != CASESCRIBE_OK) {
        EVP_PKEY_free(key);
        key = NULL;
    }
    if (key != NULL) {
        memcpy(ck->key_id, id, sizeof(ck->key_id));
        ck->pinned = pem != NULL;
    }
    cs_keyring_free(ring);
    if (key == NULL)
        cs_buf_printf(ck->report, "key: %s\n", pem != NULL ? "the key given is not an Ed25519 public key"
                                                           : "the bundle holds no usable public-key.pem");
    else
        cs_buf_printf(ck->report, "key: %s, fingerprint %s (%s)\n", id, ck->fingerprint,
                      pem != NULL ? "the key you gave"
                                  : "the bundle's own key: anyone can make one; compare this fingerprint with the "
                                    "one the council publishes");
    if (pem != NULL && own != NULL && cs_key_id_of_pem(own_id, own, len) == CASESCRIBE_OK && strcmp(own_id, id) != 0)
        cs_buf_printf(ck->report, "note: the bundle's public-key.pem is another key (%s)\n", own_id);
    free(own);
    cs_clear_error();
    return key;
}

static void check_seal(struct check *ck, const uint8_t *pem, size_t pem_len, const uint8_t *manifest, size_t len)
{
    size_t sig_len = 0;
    uint8_t *sig = read_entry(ck->za, CS_SAR_SIGNATURE, 64, &sig_len);
    EVP_PKEY *key = load_key(ck, pem, pem_len);
    if (sig == NULL && zip_name_locate(ck->za, CS_SAR_SIGNATURE, 0) < 0)
        problem(ck, "missing", CS_SAR_SIGNATURE, "(the manifest's signature)");
    else if (key == NULL)
        ck->problems++;
    else if (sig == NULL || !signature_ok(key, sig, sig_len, manifest, len))
        problem(ck, "changed", CS_SAR_MANIFEST, "or manifest.sig (the signature does not verify with the key)");
    else
        cs_buf_printf(ck->report, "signature: verified\n");
    EVP_PKEY_free(key);
    free(sig);
}

/* The last line of the report, and the status. Without a key the caller
 * trusts, matching files prove nothing about who sealed them: anyone can
 * change the files, make a key and re-seal them. */
static int32_t verdict(const struct check *ck)
{
    if (ck->problems > 0)
        cs_buf_printf(ck->report, "Result: NOT VERIFIED\n");
    else if (ck->pinned)
        cs_buf_printf(ck->report, "Result: VERIFIED: every file is as the holder of key %s (fingerprint %s) "
                                  "sealed it\n", ck->key_id, ck->fingerprint);
    else
        cs_buf_printf(ck->report, "Result: NOT PROVEN: the seal proves only that the files match each other and "
                                  "the key that came with them (fingerprint %s); anyone can re-seal changed files "
                                  "with a key of their own. Compare that fingerprint with the one the council "
                                  "publishes, or check again with the council's public key.\n", ck->fingerprint);
    if (ck->report->failed)
        return cs_fail(CASESCRIBE_ENOMEM, "out of memory");
    if (ck->problems > 0)
        return cs_fail(CASESCRIBE_EVERIFY, "the export does not verify: %u problem%s", ck->problems,
                       ck->problems == 1 ? "" : "s");
    return ck->pinned ? CASESCRIBE_OK
                      : cs_fail(CASESCRIBE_EUNTRUSTED, "the export matches only its own key: no trusted key was "
                                                       "given, so nothing shows the council sealed it");
}

int32_t cs_sar_verify_zip(cs_buf *report, const char *path, const uint8_t *pem, size_t pem_len)
{
    int err = 0;
    zip_t *za = zip_open(path, ZIP_RDONLY | ZIP_CHECKCONS, &err);
    if (za == NULL)
        return cs_fail(err == ZIP_ER_NOENT || err == ZIP_ER_OPEN ? CASESCRIBE_ENOTFOUND : CASESCRIBE_EPARSE,
                       "%s cannot be opened as a ZIP file (libzip error %d)", path, err);
    zip_int64_t n = zip_get_num_entries(za, 0);
    if (n < 0 || n > MAX_ENTRIES) {
        zip_discard(za);
        return cs_fail(CASESCRIBE_ETOOBIG, "%s holds more than %u files: not an export", path, MAX_ENTRIES);
    }
    struct check ck = {za, report, 0, calloc((size_t)n + 1, 1), "", 0, ""};
    if (ck.listed == NULL) {
        zip_discard(za);
        return cs_fail(CASESCRIBE_ENOMEM, "out of memory");
    }
    size_t len = 0;
    uint8_t *manifest = read_entry(za, CS_SAR_MANIFEST, CS_SAR_MAX_MANIFEST, &len);
    if (manifest == NULL) {
        problem(&ck, zip_name_locate(za, CS_SAR_MANIFEST, 0) < 0 ? "missing" : "changed", CS_SAR_MANIFEST, NULL);
    } else {
        check_seal(&ck, pem, pem_len, manifest, len);
        check_manifest(&ck, manifest, len);
    }
    for (zip_int64_t i = 0; i < n; i++) {
        const char *name = zip_get_name(za, (zip_uint64_t)i, 0);
        if (name != NULL && !ck.listed[i] && strcmp(name, CS_SAR_MANIFEST) != 0 && strcmp(name, CS_SAR_SIGNATURE) != 0)
            problem(&ck, "added", name, "(the manifest does not list it)");
    }
    free(manifest);
    free(ck.listed);
    zip_discard(za);
    return verdict(&ck);
}

int32_t casescribe_sar_verify(char **report_out, const char *zip_path, const uint8_t *pubkey_pem, size_t pubkey_len)
{
    if (report_out != NULL)
        *report_out = NULL;
    cs_clear_error();
    if (zip_path == NULL || (pubkey_pem == NULL && pubkey_len > 0) || pubkey_len > MAX_KEY_BYTES)
        return cs_fail(CASESCRIBE_EINVAL, "casescribe_sar_verify: zip_path is NULL or the key is not a PEM");
    cs_buf report = {0};
    int32_t rc = cs_sar_verify_zip(&report, zip_path, pubkey_len > 0 ? pubkey_pem : NULL, pubkey_len);
    if (report_out != NULL && (rc == CASESCRIBE_OK || rc == CASESCRIBE_EVERIFY || rc == CASESCRIBE_EUNTRUSTED))
        *report_out = cs_buf_take(&report);
    cs_buf_free(&report);
    return rc;
}
