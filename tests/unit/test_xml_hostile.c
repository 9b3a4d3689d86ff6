/* SPDX-License-Identifier: Apache-2.0 */
/* test_xml_hostile.c - cs_xml_parse against hostile input.
 *
 * Every call is timed with clock_gettime and must return within a second
 * (the bound the issue states: "refused within a second").
 *
 * "Nothing was read or contacted" is proved three independent ways, each
 * with a control that shows the probe would have seen a violation:
 *  - files: the secret and the DTD sit in a fresh temp directory watched by
 *    inotify (IN_OPEN | IN_ACCESS); no event may arrive during a parse.
 *    Control: reading the secret ourselves produces events.
 *  - network: a listening TCP socket on an ephemeral 127.0.0.1 port (never
 *    any other address); after each parse poll() with 200 ms must report no
 *    pending connection. Control: connecting ourselves is seen.
 *  - libxml2 itself: a spy external-entity loader (installed by the TEST,
 *    which plays the host here; the library never touches it) counts every
 *    load libxml2 attempts. Control: a direct parse with XML_PARSE_NOENT
 *    calls it.
 * Criterion runs each test in its own process, so the tests that change
 * libxml2's global settings (as a careless host might) affect no other. */
#include <criterion/criterion.h>
#include <criterion/logging.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/tree.h>
#include <libxml/xmlIO.h>

#include "casescribe.h"
#include "xml/safe_parse.h"

#define LIMIT ((size_t)CASESCRIBE_MAX_PAYLOAD)

/* ------------------------------------------------------------------------
 * Timing and expectations
 * ------------------------------------------------------------------------ */

static double seconds_since(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

static int32_t timed_parse(xmlDocPtr *doc, const void *buf, size_t len, size_t max_bytes, double *secs)
{
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int32_t rc = cs_xml_parse(doc, buf, len, max_bytes);
    *secs = seconds_since(&t0);
    return rc;
}

/* Parses, checks the status, the one-second bound and that a document is
 * returned exactly on success. Returns the document (caller frees). */
static xmlDocPtr expect_parse(const char *label, const void *buf, size_t len, int32_t expected)
{
    xmlDocPtr doc = (xmlDocPtr)(uintptr_t)1; /* must be overwritten */
    double secs = 0;
    int32_t rc = timed_parse(&doc, buf, len, LIMIT, &secs);
    cr_assert_eq(rc, expected, "%s: status %d, expected %d (%s)", label, (int)rc, (int)expected,
                 casescribe_last_error());
    cr_assert_lt(secs, 1.0, "%s: took %.3f s", label, secs);
    if (expected == CASESCRIBE_OK) {
        cr_assert_not_null(doc, "%s: no document", label);
    } else {
        cr_assert_null(doc, "%s: a document was returned on failure", label);
        cr_assert_neq(casescribe_last_error()[0], '\0', "%s: no error message", label);
    }
    return doc;
}

static void expect_str(const char *label, const char *xml, int32_t expected)
{
    xmlFreeDoc(expect_parse(label, xml, strlen(xml), expected));
}

/* A refusal whose message names the reason. */
static void expect_refused(const char *label, const void *buf, size_t len, const char *needle)
{
    expect_parse(label, buf, len, CASESCRIBE_EPARSE);
    cr_assert_not_null(strstr(casescribe_last_error(), needle), "%s: message \"%s\" lacks \"%s\"", label,
                       casescribe_last_error(), needle);
}

static void expect_refused_str(const char *label, const char *xml, const char *needle)
{
    expect_refused(label, xml, strlen(xml), needle);
}

/* The document serialised, to look for markers anywhere in it. */
static char *dump(xmlDocPtr doc)
{
    xmlChar *mem = NULL;
    int size = 0;
    xmlDocDumpMemory(doc, &mem, &size);
    cr_assert_not_null(mem);
    char *copy = strdup((const char *)mem);
    xmlFree(mem);
    cr_assert_not_null(copy);
    return copy;
}

static char *format(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *format(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    int n = vasprintf(&s, fmt, ap);
    va_end(ap);
    cr_assert_geq(n, 0);
    return s;
}

/* `depth` nested <e> elements under nothing: depth 1 is "<e>x</e>". */
static char *nested(unsigned depth, size_t *len)
{
    char *s = malloc((size_t)depth * 7 + 2);
    cr_assert_not_null(s);
    size_t n = 0;
    for (unsigned i = 0; i < depth; i++) {
        memcpy(s + n, "<e>", 3);
        n += 3;
    }
    s[n++] = 'x';
    for (unsigned i = 0; i < depth; i++) {
        memcpy(s + n, "</e>", 4);
        n += 4;
    }
    s[n] = '\0';
    *len = n;
    return s;
}

/* A start tag with `count` attributes (xmlns:pN declarations when `ns`). */
static char *many_attributes(unsigned count, int ns, size_t *len)
{
    size_t cap = (size_t)count * 40 + 64, n = 0; /* " xmlns:p99999='urn:p99999'" is 26 */
    char *s = malloc(cap);
    cr_assert_not_null(s);
    n += (size_t)snprintf(s + n, cap - n, "<form");
    for (unsigned i = 0; i < count; i++)
        n += (size_t)(ns ? snprintf(s + n, cap - n, " xmlns:p%u='urn:p%u'", i, i)
                         : snprintf(s + n, cap - n, " a%u=''", i));
    n += (size_t)snprintf(s + n, cap - n, "/>");
    *len = n;
    return s;
}

static const char reference_form[] =
    "<form xmlns=\"urn:casescribe:form:1\" id=\"R-7001\" template=\"statutory-home-visit\" team=\"cin-north\" "
    "author=\"sw-017\" final=\"false\">\n"
    "  <subject id=\"P-2\" role=\"parent\" name=\"Jo Example\"/>\n"
    "  <consent subject=\"P-2\" given-by=\"self\" method=\"verbal\" capacity=\"has-capacity\" "
    "at=\"2026-11-02T10:16:00Z\" scopes=\"record-audio transcribe ai-draft\"/>\n"
    "  <section id=\"observations\" origin=\"ai-draft\" engine=\"embedded:pocketsphinx\" "
    "model=\"en-us\">Text of the section.</section>\n"
    "  <section id=\"analysis\" origin=\"human\">The worker's analysis.</section>\n"
    "</form>\n";

/* ------------------------------------------------------------------------
 * Probes: a watched temp directory, a loopback listener, a spy loader
 * ------------------------------------------------------------------------ */

typedef struct sandbox {
    char dir[64];
    char secret[128]; /* holds the marker */
    char dtd[128];    /* declares entities that point at the secret */
    char marker[64];
    int watch;
} sandbox;

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f, "cannot create %s", path);
    cr_assert_geq(fputs(text, f), 0);
    cr_assert_eq(fclose(f), 0);
}

static void sandbox_open(sandbox *sb)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    snprintf(sb->dir, sizeof(sb->dir), "/tmp/cs-xxe-XXXXXX");
    cr_assert_not_null(mkdtemp(sb->dir));
    snprintf(sb->marker, sizeof(sb->marker), "CSMARKER%ldx%ld", (long)getpid(), (long)ts.tv_nsec);
    snprintf(sb->secret, sizeof(sb->secret), "%s/secret.txt", sb->dir);
    snprintf(sb->dtd, sizeof(sb->dtd), "%s/evil.dtd", sb->dir);
    write_file(sb->secret, sb->marker);
    char *dtd = format("<!ENTITY leak SYSTEM \"file://%s\">\n<!ELEMENT form ANY>\n", sb->secret);
    write_file(sb->dtd, dtd);
    free(dtd);
    /* Watching the directory reports opens and reads of every file in it. */
    sb->watch = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    cr_assert_geq(sb->watch, 0);
    cr_assert_geq(inotify_add_watch(sb->watch, sb->dir, IN_OPEN | IN_ACCESS), 0);
}

/* Number of inotify events since the last call (0 when none). */
static int sandbox_events(const sandbox *sb)
{
    char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
    int events = 0;
    for (;;) {
        ssize_t n = read(sb->watch, buf, sizeof(buf));
        if (n <= 0) {
            cr_assert(n == 0 || errno == EAGAIN, "inotify read: %s", strerror(errno));
            return events;
        }
        for (char *p = buf; p < buf + n; p += sizeof(struct inotify_event) + ((struct inotify_event *)p)->len)
            events++;
    }
}

/* Control: the watch does see a read of the secret. */
static void sandbox_prove_watch_works(const sandbox *sb)
{
    cr_assert_eq(sandbox_events(sb), 0);
    FILE *f = fopen(sb->secret, "r");
    cr_assert_not_null(f);
    char line[64] = "";
    cr_assert_not_null(fgets(line, sizeof(line), f));
    fclose(f);
    cr_assert_str_eq(line, sb->marker);
    cr_assert_gt(sandbox_events(sb), 0, "control failed: inotify saw no read of the secret");
}

static void sandbox_close(sandbox *sb)
{
    close(sb->watch);
    unlink(sb->secret);
    unlink(sb->dtd);
    rmdir(sb->dir);
}

/* Parses a document that tries to reach the sandbox and checks the status,
 * the time, that no file in the sandbox was opened or read, and that the
 * marker shows neither in the error message nor in any returned tree. */
static void expect_sandbox_untouched(const sandbox *sb, const char *label, const char *xml, int32_t expected)
{
    xmlDocPtr doc = expect_parse(label, xml, strlen(xml), expected);
    cr_assert_eq(sandbox_events(sb), 0, "%s: the parser opened or read a file in %s", label, sb->dir);
    cr_assert_null(strstr(casescribe_last_error(), sb->marker), "%s: the marker leaked into the error", label);
    if (doc != NULL) {
        char *text = dump(doc);
        cr_assert_null(strstr(text, sb->marker), "%s: the marker leaked into the document", label);
        free(text);
        xmlFreeDoc(doc);
    }
}

typedef struct listener {
    int fd;
    unsigned port;
} listener;

/* Listens on an ephemeral port of 127.0.0.1 only. */
static void listener_open(listener *l)
{
    struct sockaddr_in addr;
    socklen_t alen = sizeof(addr);
    memset(&addr, 0, sizeof(addr));
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    l->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    cr_assert_geq(l->fd, 0);
    cr_assert_eq(bind(l->fd, (struct sockaddr *)&addr, sizeof(addr)), 0, "bind: %s", strerror(errno));
    cr_assert_eq(listen(l->fd, 16), 0);
    cr_assert_eq(getsockname(l->fd, (struct sockaddr *)&addr, &alen), 0);
    l->port = ntohs(addr.sin_port);
    cr_assert_gt(l->port, 0u);
}

/* 1 when a connection is waiting to be accepted within `ms`. */
static int listener_pending(const listener *l, int ms)
{
    struct pollfd p = {.fd = l->fd, .events = POLLIN};
    int n = poll(&p, 1, ms);
    cr_assert_geq(n, 0, "poll: %s", strerror(errno));
    return n > 0 && (p.revents & POLLIN) != 0;
}

/* Control: a connection we make ourselves is seen. */
static void listener_prove_works(const listener *l)
{
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof(addr));
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons((uint16_t)l->port);
    int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    cr_assert_geq(c, 0);
    cr_assert_eq(connect(c, (struct sockaddr *)&addr, sizeof(addr)), 0, "connect: %s", strerror(errno));
    cr_assert(listener_pending(l, 1000), "control failed: our own connection was not seen");
    close(c);
}

static void expect_no_connection(const listener *l, const char *label, const char *xml, int32_t expected)
{
    xmlFreeDoc(expect_parse(label, xml, strlen(xml), expected));
    cr_assert(!listener_pending(l, 200), "%s: the parser connected to 127.0.0.1:%u", label, l->port);
}

static int spy_loads;

static xmlParserInputPtr spy_loader(const char *url, const char *id, xmlParserCtxtPtr ctxt)
{
    (void)url;
    (void)id;
    (void)ctxt;
    spy_loads++;
    return NULL; /* never actually load anything */
}

/* Every external-reference document the file tests use; %s is the
 * sandbox's secret or DTD path. */
static char *xxe_doc(const sandbox *sb, int which)
{
    switch (which) {
    case 0:
        return format("<?xml version=\"1.0\"?>\n<!DOCTYPE form [<!ENTITY xxe SYSTEM \"file://%s\">]>\n"
                      "<form>&xxe;</form>",
                      sb->secret);
    case 1:
        return format("<!DOCTYPE form [<!ENTITY xxe SYSTEM \"%s\">]><form a=\"x\">&xxe;</form>", sb->secret);
    case 2:
        return format("<!DOCTYPE form SYSTEM \"file://%s\"><form>&leak;</form>", sb->dtd);
    case 3:
        return format("<!DOCTYPE form PUBLIC \"-//X//DTD F//EN\" \"file://%s\"><form/>", sb->dtd);
    case 4:
        return format("<!DOCTYPE form [<!ENTITY %% p SYSTEM \"file://%s\"> %%p;]><form>&leak;</form>", sb->dtd);
    default:
        return format("<!-- first --><!DOCTYPE form [<!ENTITY xxe SYSTEM \"file://%s\">]><form>&xxe;</form>",
                      sb->secret);
    }
}
#define XXE_DOCS 6

/* ------------------------------------------------------------------------
 * Well-formed input and the depth limit
 * ------------------------------------------------------------------------ */

Test(accepted, reference_form_parses)
{
    xmlDocPtr doc = expect_parse("reference form", reference_form, strlen(reference_form), CASESCRIBE_OK);
    xmlNodePtr root = xmlDocGetRootElement(doc);
    cr_assert_str_eq((const char *)root->name, "form");
    cr_assert_not_null(root->ns);
    cr_assert_str_eq((const char *)root->ns->href, "urn:casescribe:form:1");
    int sections = 0;
    for (xmlNodePtr n = root->children; n != NULL; n = n->next)
        sections += n->type == XML_ELEMENT_NODE && xmlStrEqual(n->name, BAD_CAST "section");
    cr_assert_eq(sections, 2);
    cr_assert_null(doc->intSubset);
    xmlFreeDoc(doc);
}

Test(accepted, depth_32_passes_and_33_fails)
{
    size_t len;
    char *ok = nested(CASESCRIBE_MAX_XML_DEPTH, &len);
    xmlFreeDoc(expect_parse("depth 32", ok, len, CASESCRIBE_OK));
    free(ok);
    char *deep = nested(CASESCRIBE_MAX_XML_DEPTH + 1, &len);
    expect_refused("depth 33", deep, len, "limit of 32");
    free(deep);
}

/* The depth is counted per branch: many siblings each 32 deep pass, so the
 * count goes down again on the way up. */
Test(accepted, depth_is_counted_per_branch)
{
    size_t one_len;
    char *one = nested(CASESCRIBE_MAX_XML_DEPTH - 1, &one_len);
    size_t cap = 200 * one_len + 64, n = 0;
    char *doc = malloc(cap);
    cr_assert_not_null(doc);
    n += (size_t)snprintf(doc, cap, "<root>");
    for (int i = 0; i < 200; i++) {
        memcpy(doc + n, one, one_len);
        n += one_len;
    }
    n += (size_t)snprintf(doc + n, cap - n, "</root>");
    xmlFreeDoc(expect_parse("200 branches 32 deep", doc, n, CASESCRIBE_OK));
    free(doc);
    free(one);
}

Test(accepted, predefined_entities_and_character_references)
{
    const char *xml = "<a b='&lt;&#65;'>&amp;&#x20AC;</a>";
    xmlDocPtr doc = expect_parse("predefined", xml, strlen(xml), CASESCRIBE_OK);
    xmlNodePtr root = xmlDocGetRootElement(doc);
    xmlChar *attr = xmlGetProp(root, BAD_CAST "b");
    xmlChar *text = xmlNodeGetContent(root);
    cr_assert_str_eq((const char *)attr, "<A");
    cr_assert_str_eq((const char *)text, "&\xE2\x82\xAC");
    xmlFree(attr);
    xmlFree(text);
    xmlFreeDoc(doc);
}

/* Decision: comments and processing instructions are accepted. They are
 * inert in the tree (libxml2 never acts on an xml-stylesheet PI) and the
 * form reader only looks at elements, attributes and text. CDATA is read as
 * plain text (XML_PARSE_NOCDATA). */
Test(accepted, comments_pis_and_cdata)
{
    const char *xml = "<?xml version=\"1.0\"?><!-- before --><?app hint?>"
                      "<form><!-- c --><?pi data?><s><![CDATA[<b>&not-an-entity;</b>]]></s></form>";
    xmlDocPtr doc = expect_parse("pi/comment/cdata", xml, strlen(xml), CASESCRIBE_OK);
    xmlNodePtr root = xmlDocGetRootElement(doc);
    cr_assert_eq(doc->children->type, XML_COMMENT_NODE);
    cr_assert_eq(doc->children->next->type, XML_PI_NODE);
    xmlNodePtr s = root->last;
    cr_assert_str_eq((const char *)s->name, "s");
    cr_assert_eq(s->children->type, XML_TEXT_NODE);
    xmlChar *text = xmlNodeGetContent(s);
    cr_assert_str_eq((const char *)text, "<b>&not-an-entity;</b>");
    xmlFree(text);
    xmlFreeDoc(doc);
}

Test(accepted, utf8_bom_and_declarations)
{
    expect_str("BOM then element", "\xEF\xBB\xBF<form/>", CASESCRIBE_OK);
    expect_str("BOM then declaration", "\xEF\xBB\xBF<?xml version=\"1.0\" encoding=\"UTF-8\"?><form/>",
               CASESCRIBE_OK);
    expect_str("lower-case utf-8", "<?xml version='1.0' encoding='utf-8' standalone='yes'?><form/>",
               CASESCRIBE_OK);
    expect_str("UTF8 alias", "<?xml version=\"1.0\" encoding = \"UTF8\" ?><form/>", CASESCRIBE_OK);
    expect_str("no encoding", "<?xml version=\"1.0\"?><form/>", CASESCRIBE_OK);
}

Test(accepted, multibyte_utf8)
{
    const char *xml = "<f\xC3\xA9 a='\xE2\x82\xAC'>h\xC3\xA9llo \xF0\x9F\x98\x80 \xEF\xBF\xBD</f\xC3\xA9>";
    xmlDocPtr doc = expect_parse("multibyte", xml, strlen(xml), CASESCRIBE_OK);
    xmlChar *text = xmlNodeGetContent(xmlDocGetRootElement(doc));
    cr_assert_str_eq((const char *)text, "h\xC3\xA9llo \xF0\x9F\x98\x80 \xEF\xBF\xBD");
    xmlFree(text);
    xmlFreeDoc(doc);
}

/* '=' and '>' inside values and '=' in text do not count as attributes. */
Test(accepted, equals_signs_in_values_and_text)
{
    size_t n = 3000;
    char *eq = malloc(n + 1);
    cr_assert_not_null(eq);
    memset(eq, '=', n);
    eq[n] = '\0';
    char *xml = format("<form a=\"%s\" b='>%s'>%s<!-- > -->%s</form>", eq, eq, eq, eq);
    xmlFreeDoc(expect_parse("= in values and text", xml, strlen(xml), CASESCRIBE_OK));
    free(xml);
    free(eq);
}

Test(accepted, large_documents_parse_within_a_second)
{
    size_t big = 2u << 20;
    char *xml = malloc(big + 64);
    cr_assert_not_null(xml);
    int n = snprintf(xml, 64, "<form a=\"");
    memset(xml + n, 'v', big);
    snprintf(xml + n + big, 64, "\">text</form>");
    xmlFreeDoc(expect_parse("2 MiB attribute", xml, strlen(xml), CASESCRIBE_OK));
    size_t len = 0;
    len += (size_t)snprintf(xml, big, "<form>");
    while (len + 200 < big)
        len += (size_t)snprintf(xml + len, big - len, "<section id=\"s\" origin=\"human\">%s</section>\n",
                                "Some words of a section, repeated to fill the document to size.");
    len += (size_t)snprintf(xml + len, big + 64 - len, "</form>");
    xmlFreeDoc(expect_parse("2 MiB of sections", xml, len, CASESCRIBE_OK));
    free(xml);
}

/* ------------------------------------------------------------------------
 * External entities and DTDs: nothing read, nothing contacted
 * ------------------------------------------------------------------------ */

Test(external, file_entities_and_dtds_are_never_read)
{
    sandbox sb;
    sandbox_open(&sb);
    for (int i = 0; i < XXE_DOCS; i++) {
        char *xml = xxe_doc(&sb, i);
        char label[32];
        snprintf(label, sizeof(label), "file XXE #%d", i);
        expect_sandbox_untouched(&sb, label, xml, CASESCRIBE_EPARSE);
        cr_assert_not_null(strstr(casescribe_last_error(), "DOCTYPE declarations are not accepted"), "%s: %s",
                           label, casescribe_last_error());
        free(xml);
    }
    sandbox_prove_watch_works(&sb);
    sandbox_close(&sb);
}

/* Without a DOCTYPE, references that other software might follow stay
 * inert: an XInclude element (XINCLUDE is off), an xml-stylesheet PI, a
 * schemaLocation, an undeclared entity (refused). */
Test(external, references_without_doctype_stay_inert)
{
    sandbox sb;
    sandbox_open(&sb);
    char *xi = format("<form xmlns:xi=\"http://www.w3.org/2001/XInclude\">"
                      "<xi:include href=\"file://%s\" parse=\"text\"/></form>",
                      sb.secret);
    expect_sandbox_untouched(&sb, "xinclude", xi, CASESCRIBE_OK);
    char *pi = format("<?xml-stylesheet type=\"text/xsl\" href=\"file://%s\"?><form/>", sb.secret);
    expect_sandbox_untouched(&sb, "stylesheet PI", pi, CASESCRIBE_OK);
    char *loc = format("<form xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "
                       "xsi:noNamespaceSchemaLocation=\"file://%s\"/>",
                       sb.dtd);
    expect_sandbox_untouched(&sb, "schemaLocation", loc, CASESCRIBE_OK);
    expect_sandbox_untouched(&sb, "undeclared entity", "<form>&leak;</form>", CASESCRIBE_EPARSE);
    free(xi);
    free(pi);
    free(loc);
    sandbox_prove_watch_works(&sb);
    sandbox_close(&sb);
}

Test(external, http_entities_and_dtds_make_no_connection, .timeout = 30)
{
    listener l;
    listener_open(&l);
    const unsigned p = l.port;
    char *docs[] = {
        format("<!DOCTYPE form SYSTEM \"http://127.0.0.1:%u/form.dtd\"><form/>", p),
        format("<!DOCTYPE form PUBLIC \"-//X//DTD F//EN\" \"http://127.0.0.1:%u/f.dtd\"><form/>", p),
        format("<!DOCTYPE form [<!ENTITY e SYSTEM \"http://127.0.0.1:%u/e\">]><form>&e;</form>", p),
        format("<!DOCTYPE form [<!ENTITY %% pe SYSTEM \"http://127.0.0.1:%u/p\"> %%pe;]><form/>", p),
        format("<!DOCTYPE form SYSTEM \"http://127.0.0.1:%u/f.dtd\" [<!ENTITY x \"y\">]><form>&x;</form>", p),
    };
    for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
        expect_no_connection(&l, docs[i], docs[i], CASESCRIBE_EPARSE);
        cr_assert_not_null(strstr(casescribe_last_error(), "DOCTYPE"));
        free(docs[i]);
    }
    char *inert[] = {
        format("<form xmlns:xi=\"http://www.w3.org/2001/XInclude\"><xi:include href=\"http://127.0.0.1:%u/x\"/>"
               "</form>",
               p),
        format("<?xml-stylesheet href=\"http://127.0.0.1:%u/s.xsl\"?><form/>", p),
        format("<form xmlns=\"http://127.0.0.1:%u/ns\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "
               "xsi:schemaLocation=\"http://127.0.0.1:%u/ns http://127.0.0.1:%u/s.xsd\"/>",
               p, p, p),
    };
    for (size_t i = 0; i < sizeof(inert) / sizeof(inert[0]); i++) {
        expect_no_connection(&l, inert[i], inert[i], CASESCRIBE_OK);
        free(inert[i]);
    }
    listener_prove_works(&l);
    close(l.fd);
}

/* libxml2 never even asks its entity loader for anything. */
Test(external, entity_loader_is_never_asked)
{
    sandbox sb;
    sandbox_open(&sb);
    xmlExternalEntityLoader saved = xmlGetExternalEntityLoader();
    xmlSetExternalEntityLoader(spy_loader);
    for (int i = 0; i < XXE_DOCS; i++) {
        char *xml = xxe_doc(&sb, i);
        expect_sandbox_untouched(&sb, xml, xml, CASESCRIBE_EPARSE);
        free(xml);
    }
    cr_assert_eq(spy_loads, 0, "libxml2 tried %d external loads", spy_loads);
    /* Control: with XML_PARSE_NOENT (never used by the library) libxml2
     * does go for the external entity, so the spy would have seen it. */
    char *xml = xxe_doc(&sb, 0);
    xmlFreeDoc(xmlReadMemory(xml, (int)strlen(xml), NULL, NULL,
                             XML_PARSE_NOENT | XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING));
    free(xml);
    cr_assert_gt(spy_loads, 0, "control failed: the spy loader saw nothing under NOENT");
    xmlSetExternalEntityLoader(saved);
    sandbox_close(&sb);
}

/* The second line of defence on its own: libxml2 2.9.14 with the options
 * cs_xml_parse uses, but without its DOCTYPE refusal, still loads nothing
 * (no DTDLOAD, no NOENT). It does accept some of these documents, leaving
 * unexpanded entity references in the tree: hence the DOCTYPE refusal and
 * the tree walk. */
Test(external, libxml2_options_alone_load_nothing)
{
    sandbox sb;
    sandbox_open(&sb);
    xmlSetExternalEntityLoader(spy_loader);
    const int options =
        XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_NOCDATA | XML_PARSE_IGNORE_ENC;
    int accepted = 0;
    for (int i = 0; i < XXE_DOCS; i++) {
        char *xml = xxe_doc(&sb, i);
        xmlDocPtr doc = xmlReadMemory(xml, (int)strlen(xml), NULL, "UTF-8", options);
        cr_assert_eq(sandbox_events(&sb), 0, "libxml2 alone read the sandbox for %s", xml);
        if (doc != NULL) {
            char *text = dump(doc);
            cr_assert_null(strstr(text, sb.marker));
            free(text);
            accepted++;
        }
        xmlFreeDoc(doc);
        free(xml);
    }
    cr_assert_eq(spy_loads, 0, "libxml2 alone tried %d external loads", spy_loads);
    cr_assert_gt(accepted, 0, "libxml2 alone refused them all: then the layers above are only belt and braces");
    sandbox_prove_watch_works(&sb);
    sandbox_close(&sb);
}

/* A host that turned on entity substitution, DTD loading and validation
 * for its own thread (xmlNewParserCtxt copies those defaults) still gets no
 * external load through cs_xml_parse. */
Test(external, dangerous_host_defaults_do_not_enable_xxe)
{
    sandbox sb;
    sandbox_open(&sb);
    xmlSubstituteEntitiesDefault(1);
    xmlLoadExtDtdDefaultValue = XML_DETECT_IDS | XML_COMPLETE_ATTRS;
    xmlDoValidityCheckingDefaultValue = 1;
    xmlPedanticParserDefault(1);
    for (int i = 0; i < XXE_DOCS; i++) {
        char *xml = xxe_doc(&sb, i);
        expect_sandbox_untouched(&sb, xml, xml, CASESCRIBE_EPARSE);
        free(xml);
    }
    expect_str("still parses forms", reference_form, CASESCRIBE_OK);
    sandbox_prove_watch_works(&sb);
    sandbox_close(&sb);
}

/* ------------------------------------------------------------------------
 * Denial of service
 * ------------------------------------------------------------------------ */

static const char billion_laughs[] =
    "<?xml version=\"1.0\"?>\n"
    "<!DOCTYPE lolz [\n"
    " <!ENTITY lol \"lol\">\n"
    " <!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n"
    " <!ENTITY lol2 \"&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;\">\n"
    " <!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">\n"
    " <!ENTITY lol4 \"&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;\">\n"
    " <!ENTITY lol5 \"&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;\">\n"
    " <!ENTITY lol6 \"&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;\">\n"
    " <!ENTITY lol7 \"&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;\">\n"
    " <!ENTITY lol8 \"&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;\">\n"
    " <!ENTITY lol9 \"&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;\">\n"
    "]>\n"
    "<lolz a=\"&lol9;\">&lol9;</lolz>\n";

static long max_rss_kib(void)
{
    struct rusage ru;
    cr_assert_eq(getrusage(RUSAGE_SELF, &ru), 0);
    return ru.ru_maxrss;
}

Test(dos, billion_laughs_refused_fast_with_bounded_memory)
{
    long before = max_rss_kib();
    expect_refused("billion laughs", billion_laughs, strlen(billion_laughs), "DOCTYPE");
    /* Quadratic blowup: one big entity referenced many times. */
    size_t n = 20000;
    char *big = malloc(n + 1);
    cr_assert_not_null(big);
    memset(big, 'x', n);
    big[n] = '\0';
    size_t cap = n + 20000 * 4 + 128, len = 0;
    char *xml = malloc(cap);
    cr_assert_not_null(xml);
    len += (size_t)snprintf(xml, cap, "<!DOCTYPE a [<!ENTITY x \"%s\">]><a>", big);
    for (int i = 0; i < 20000; i++)
        len += (size_t)snprintf(xml + len, cap - len, "&x;");
    len += (size_t)snprintf(xml + len, cap - len, "</a>");
    expect_refused("quadratic blowup", xml, len, "DOCTYPE");
    free(xml);
    free(big);
    long grown_mib = (max_rss_kib() - before) / 1024;
    cr_assert_lt(grown_mib, 64, "peak memory grew by %ld MiB", grown_mib);
}

Test(dos, deep_nesting_refused_fast)
{
    size_t len;
    char *deep = nested(20000, &len);
    expect_refused("20,000 deep", deep, len, "limit of 32");
    free(deep);
    deep = nested(300, &len);
    expect_refused("300 deep", deep, len, "limit of 32");
    free(deep);
    /* Unclosed: 20,000 open tags and no end. */
    char *open = malloc(20000 * 3 + 1);
    cr_assert_not_null(open);
    for (int i = 0; i < 20000; i++)
        memcpy(open + i * 3, "<e>", 3);
    expect_refused("20,000 unclosed", open, 20000 * 3, "limit of 32");
    free(open);
}

/* A host that raised libxml2's own depth limit does not change ours. */
Test(dos, host_raised_parser_depth_does_not_matter)
{
    xmlParserMaxDepth = 1000000;
    size_t len;
    char *deep = nested(20000, &len);
    expect_refused("20,000 deep, host limit raised", deep, len, "limit of 32");
    free(deep);
}

/* libxml2 2.9 checks each attribute of a tag against all earlier ones:
 * 100,000 attributes (1 MB) would take it about 20 s. */
Test(dos, many_attributes_refused_fast)
{
    size_t len;
    char *xml = many_attributes(100000, 0, &len);
    expect_refused("100,000 attributes", xml, len, "more than 256 attributes");
    free(xml);
    xml = many_attributes(256, 0, &len);
    xmlFreeDoc(expect_parse("256 attributes", xml, len, CASESCRIBE_OK));
    free(xml);
    xml = many_attributes(257, 0, &len);
    expect_refused("257 attributes", xml, len, "more than 256 attributes");
    free(xml);
    /* A '>' inside a value must not end the count early. */
    char *tail = many_attributes(300, 0, &len);
    char *sneaky = format("<form x='>' y=\">\"%s", tail + 5);
    expect_refused("'>' in a value", sneaky, strlen(sneaky), "more than 256 attributes");
    free(sneaky);
    free(tail);
}

Test(dos, many_namespaces_refused_fast)
{
    size_t len;
    char *xml = many_attributes(64, 1, &len);
    xmlFreeDoc(expect_parse("64 namespaces", xml, len, CASESCRIBE_OK));
    free(xml);
    xml = many_attributes(65, 1, &len);
    expect_refused("65 namespaces", xml, len, "namespaces");
    free(xml);
    xml = many_attributes(100000, 1, &len);
    expect_refused("100,000 namespaces", xml, len, "more than 256 attributes");
    free(xml);
}

/* ------------------------------------------------------------------------
 * Encodings
 * ------------------------------------------------------------------------ */

typedef struct bad_utf8 {
    const char *label;
    const char *bytes;
    size_t len;
} bad_utf8;

#define BAD(label, s) {label, s, sizeof(s) - 1}
static const bad_utf8 bad_utf8_cases[] = {
    BAD("overlong '/' (C0 AF)", "<a>\xC0\xAF</a>"),
    BAD("overlong 3-byte (E0 80 AF)", "<a>\xE0\x80\xAF</a>"),
    BAD("overlong 4-byte (F0 80 80 AF)", "<a>\xF0\x80\x80\xAF</a>"),
    BAD("lone continuation byte", "<a>\x80</a>"),
    BAD("0xFF byte", "<a>\xFF</a>"),
    BAD("0xFE byte", "<a>\xFE</a>"),
    BAD("surrogate D800 in UTF-8", "<a>\xED\xA0\x80</a>"),
    BAD("surrogate DFFF in UTF-8", "<a>\xED\xBF\xBF</a>"),
    BAD("above U+10FFFF", "<a>\xF4\x90\x80\x80</a>"),
    BAD("truncated sequence", "<a>\xE2\x82</a>"),
    BAD("truncated at end", "<a/>\xE2\x82"),
    BAD("bad byte in attribute", "<a b='\xC0\x80'/>"),
    BAD("bad byte in name", "<a\xFF/>"),
    BAD("bad byte in comment", "<a><!-- \xC1\xBF --></a>"),
    BAD("CESU-8 pair", "<a>\xED\xA0\xBD\xED\xB8\x80</a>"),
};

Test(encoding, invalid_utf8_refused)
{
    for (size_t i = 0; i < sizeof(bad_utf8_cases) / sizeof(bad_utf8_cases[0]); i++)
        expect_refused(bad_utf8_cases[i].label, bad_utf8_cases[i].bytes, bad_utf8_cases[i].len, "UTF-8");
}

/* libxml2 itself, with the encoding forced to UTF-8 as cs_xml_parse forces
 * it, refuses every one of them too (our own check is the first line). */
Test(encoding, libxml2_alone_refuses_invalid_utf8)
{
    const int options = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_IGNORE_ENC;
    for (size_t i = 0; i < sizeof(bad_utf8_cases) / sizeof(bad_utf8_cases[0]); i++) {
        xmlDocPtr doc = xmlReadMemory(bad_utf8_cases[i].bytes, (int)bad_utf8_cases[i].len, NULL, "UTF-8", options);
        cr_assert_null(doc, "libxml2 accepted %s", bad_utf8_cases[i].label);
    }
    xmlDocPtr ok = xmlReadMemory("<a>\xC3\xA9</a>", 9, NULL, "UTF-8", options);
    cr_assert_not_null(ok, "control: libxml2 refused valid UTF-8");
    xmlFreeDoc(ok);
}

Test(encoding, characters_xml_forbids_are_refused)
{
    expect_refused_str("control character", "<a>\x01</a>", "not well-formed");
    expect_refused_str("U+FFFE", "<a>\xEF\xBF\xBE</a>", "not well-formed");
    expect_refused_str("U+FFFF in attribute", "<a b='\xEF\xBF\xBF'/>", "not well-formed");
    expect_refused_str("escape character", "<a>\x1B[31m</a>", "not well-formed");
}

Test(encoding, other_declared_encodings_refused)
{
    static const char *const docs[] = {
        "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><form/>",
        "<?xml version=\"1.0\" encoding='latin1'?><form>caf\xC3\xA9</form>",
        "<?xml version=\"1.0\" encoding=\"UTF-16\"?><form/>",
        "<?xml version=\"1.0\" encoding=\"US-ASCII\"?><form/>",
        "<?xml version=\"1.0\" encoding=\"UTF-7\"?><form/>",
        "<?xml version=\"1.0\" encoding=\"EBCDIC-US\"?><form/>",
        "\xEF\xBB\xBF<?xml version=\"1.0\" encoding=\"windows-1252\"?><form/>",
        "<?xml version=\"1.0\" encoding=\"UTF-8 \"?><form/>",
        "<?xml version=\"1.0\" encoding=\"UTF-88\"?><form/>",
    };
    for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++)
        expect_refused_str(docs[i], docs[i], "UTF-8");
}

/* Builds the UTF-16 form of an ASCII text, with or without a BOM. */
static size_t utf16(char *out, const char *ascii, int big_endian, int bom)
{
    size_t n = 0;
    if (bom) {
        out[n++] = big_endian ? '\xFE' : '\xFF';
        out[n++] = big_endian ? '\xFF' : '\xFE';
    }
    for (const char *p = ascii; *p != '\0'; p++) {
        out[n++] = big_endian ? '\0' : *p;
        out[n++] = big_endian ? *p : '\0';
    }
    return n;
}

Test(encoding, utf16_and_utf32_refused)
{
    const char *doc = "<?xml version=\"1.0\" encoding=\"UTF-16\"?><form/>";
    char buf[256];
    size_t n = utf16(buf, doc, 0, 1);
    expect_refused("UTF-16LE with BOM", buf, n, "UTF-8");
    n = utf16(buf, doc, 1, 1);
    expect_refused("UTF-16BE with BOM", buf, n, "UTF-8");
    n = utf16(buf, "<form/>", 0, 0);
    expect_refused("UTF-16LE without BOM", buf, n, "UTF-8");
    n = utf16(buf, "<form/>", 1, 0);
    expect_refused("UTF-16BE without BOM", buf, n, "UTF-8");
    expect_refused("UTF-32LE BOM", "\xFF\xFE\0\0<\0\0\0", 8, "UTF-8");
    expect_refused("UTF-32BE BOM", "\0\0\xFE\xFF\0\0\0<", 8, "UTF-8");
}

/* ------------------------------------------------------------------------
 * Sizes, empty and broken input, messages
 * ------------------------------------------------------------------------ */

Test(input, size_limit_is_checked_before_parsing)
{
    const char *xml = "<form/>";
    xmlDocPtr doc = NULL;
    double secs;
    cr_assert_eq(timed_parse(&doc, xml, 7, 6, &secs), CASESCRIBE_ETOOBIG);
    cr_assert_null(doc);
    cr_assert_not_null(strstr(casescribe_last_error(), "limit"));
    cr_assert_eq(timed_parse(&doc, xml, 7, 7, &secs), CASESCRIBE_OK, "the limit is inclusive");
    cr_assert_lt(secs, 1.0);
    xmlFreeDoc(doc);
    /* Oversized but garbage: refused for size, before anything looks at it. */
    cr_assert_eq(timed_parse(&doc, "\xFF\xFF\xFF\xFF", 4, 3, &secs), CASESCRIBE_ETOOBIG);
    /* A length far beyond the buffer: nothing may read it (ASan would
     * catch a read), since the size is judged first. */
    cr_assert_eq(timed_parse(&doc, xml, (size_t)INT_MAX + 1, SIZE_MAX, &secs), CASESCRIBE_ETOOBIG);
    cr_assert_eq(timed_parse(&doc, xml, SIZE_MAX, LIMIT, &secs), CASESCRIBE_ETOOBIG);
    cr_assert_lt(secs, 1.0);
    cr_assert_null(doc);
}

Test(input, empty_null_and_bad_arguments)
{
    expect_parse("empty", "", 0, CASESCRIBE_EPARSE);
    expect_parse("NULL buffer", NULL, 0, CASESCRIBE_EPARSE);
    expect_parse("NULL buffer with length", NULL, 10, CASESCRIBE_EPARSE);
    expect_refused_str("only blanks", "   \n", "not well-formed");
    expect_refused_str("only a comment", "<!-- nothing -->", "not well-formed");
    cr_assert_eq(cs_xml_parse(NULL, (const uint8_t *)"<a/>", 4, LIMIT), CASESCRIBE_EINVAL);
}

Test(input, nul_bytes_refused)
{
    expect_refused("NUL in text", "<a>\0</a>", 8, "NUL");
    expect_refused("NUL after the document", "<a/>\0junk", 9, "NUL");
    expect_refused("NUL in attribute", "<a b='\0'/>", 10, "NUL");
    expect_refused("only NUL", "\0", 1, "NUL");
}

Test(input, truncated_and_malformed_refused)
{
    size_t len = strlen(reference_form);
    for (size_t cut = 1; cut < len - 2; cut += 7) /* every 7th prefix of the form */
        expect_parse("truncated form", reference_form, cut, CASESCRIBE_EPARSE);
    expect_refused_str("unclosed", "<form><a>", "not well-formed");
    expect_refused_str("mid-attribute", "<form a=\"x", "not well-formed");
    expect_refused_str("mismatched", "<form></from>", "not well-formed");
    expect_refused_str("two roots", "<a/><b/>", "not well-formed");
    expect_refused_str("text after root", "<a/>tail", "not well-formed");
    expect_refused_str("duplicate attribute", "<a b='1' b='2'/>", "not well-formed");
    expect_refused_str("unescaped <", "<a b='<'/>", "not well-formed");
    expect_refused_str("undeclared entity", "<a>&nbsp;</a>", "not well-formed");
    expect_refused_str("undeclared prefix", "<x:a/>", "not well-formed");
    expect_refused_str("undeclared attribute prefix", "<a x:b='1'/>", "not well-formed");
    expect_refused_str("late XML declaration", " <?xml version=\"1.0\"?><a/>", "not well-formed");
}

/* Messages are one short line of printable ASCII: libxml2's reason and a
 * line number, never a dump of the document. */
Test(input, error_messages_are_short_and_clean)
{
    size_t n = 5000;
    char *name = malloc(n + 1);
    cr_assert_not_null(name);
    memset(name, 'q', n);
    name[n] = '\0';
    char *xml = format("<form>\n<%s>\n</other></form>", name);
    expect_refused("long name mismatch", xml, strlen(xml), "line 3");
    const char *msg = casescribe_last_error();
    cr_assert_lt(strlen(msg), 300u, "message of %zu bytes", strlen(msg));
    for (const char *p = msg; *p != '\0'; p++)
        cr_assert(*p >= 0x20 && *p < 0x7F, "byte 0x%02x in the message", (unsigned)(unsigned char)*p);
    free(xml);
    free(name);
}

static int host_handler_calls;

static void host_generic_handler(void *ctx, const char *msg, ...)
{
    (void)ctx;
    (void)msg;
    host_handler_calls++;
}

static void host_structured_handler(void *ctx, xmlErrorPtr err)
{
    (void)ctx;
    (void)err;
    host_handler_calls++;
}

/* The host's own libxml2 error handlers never hear about our parses. */
Test(input, host_error_handlers_are_not_called)
{
    xmlSetGenericErrorFunc(NULL, host_generic_handler);
    expect_refused_str("malformed", "<a><b></a>", "not well-formed");
    expect_refused_str("namespace error", "<x:a/>", "not well-formed");
    expect_refused_str("warning and error", "<?xml version=\"1.1\"?><a xmlns=\"relative\"></b>", "not well-formed");
    cr_assert_eq(host_handler_calls, 0, "generic handler called %d times", host_handler_calls);
    xmlSetStructuredErrorFunc(NULL, host_structured_handler);
    expect_refused_str("malformed", "<a><b></a>", "not well-formed");
    expect_refused_str("doctype", billion_laughs, "DOCTYPE");
    cr_assert_eq(host_handler_calls, 0, "structured handler called %d times", host_handler_calls);
    /* Control: the handler does fire for a parse made without our context. */
    xmlFreeDoc(xmlReadMemory("<a><b></a>", 10, NULL, NULL, 0));
    cr_assert_gt(host_handler_calls, 0, "control failed: the host handler is not reachable");
}

/* cs_xml_parse leaves every process-wide libxml2 setting as it found it. */
Test(input, no_global_libxml2_state_changes)
{
    xmlInitParser();
    xmlExternalEntityLoader loader = xmlGetExternalEntityLoader();
    xmlGenericErrorFunc generic = xmlGenericError;
    xmlStructuredErrorFunc structured = xmlStructuredError;
    int subst = xmlSubstituteEntitiesDefaultValue, load = xmlLoadExtDtdDefaultValue;
    int valid = xmlDoValidityCheckingDefaultValue, blanks = xmlKeepBlanksDefaultValue;
    unsigned depth = xmlParserMaxDepth;
    xmlMallocFunc m = xmlMalloc;
    xmlFreeFunc f = xmlFree;
    expect_str("form", reference_form, CASESCRIBE_OK);
    expect_refused_str("laughs", billion_laughs, "DOCTYPE");
    expect_refused_str("broken", "<a>", "not well-formed");
    cr_assert(loader == xmlGetExternalEntityLoader());
    cr_assert(generic == xmlGenericError);
    cr_assert(structured == xmlStructuredError);
    cr_assert_eq(subst, xmlSubstituteEntitiesDefaultValue);
    cr_assert_eq(load, xmlLoadExtDtdDefaultValue);
    cr_assert_eq(valid, xmlDoValidityCheckingDefaultValue);
    cr_assert_eq(blanks, xmlKeepBlanksDefaultValue);
    cr_assert_eq(depth, xmlParserMaxDepth);
    cr_assert(m == xmlMalloc && f == xmlFree);
}

/* The thread's xmlGetLastError() is the host's business: it neither
 * changes nor ends up pointing at our freed parser context. */
Test(input, host_last_error_is_left_alone)
{
    xmlResetLastError();
    expect_refused_str("broken", "<a><b></a>", "not well-formed");
    cr_assert_null(xmlGetLastError(), "our error leaked into xmlGetLastError()");
    xmlParserCtxtPtr host = xmlNewParserCtxt();
    cr_assert_not_null(host);
    xmlFreeDoc(xmlCtxtReadMemory(host, "<host>", 6, NULL, NULL, XML_PARSE_NOERROR));
    xmlErrorPtr before = xmlGetLastError();
    cr_assert_not_null(before);
    int code = before->code, line = before->line;
    char *msg = strdup(before->message);
    cr_assert_not_null(msg);
    expect_refused_str("other error", "<a>\n\n&x;</a>", "not well-formed");
    expect_refused_str("doctype", billion_laughs, "DOCTYPE");
    expect_str("form", reference_form, CASESCRIBE_OK);
    xmlErrorPtr after = xmlGetLastError();
    cr_assert_not_null(after);
    cr_assert_eq(after->code, code);
    cr_assert_eq(after->line, line);
    cr_assert_str_eq(after->message, msg);
    cr_assert(after->ctxt == (void *)host, "the last error points at another context");
    free(msg);
    xmlFreeParserCtxt(host);
}

/* ------------------------------------------------------------------------
 * Threads
 * ------------------------------------------------------------------------ */

typedef struct thread_case {
    const char *xml;
    size_t len;
    int32_t expected;
    const char *needle; /* in the message on failure; root name on success */
} thread_case;

typedef struct worker {
    const thread_case *cases;
    size_t ncases;
    int runs, wrong_status, wrong_message;
} worker;

static void *worker_main(void *arg)
{
    worker *w = arg;
    for (int iter = 0; iter < 150; iter++) {
        for (size_t i = 0; i < w->ncases; i++) {
            const thread_case *c = &w->cases[(i + (size_t)iter) % w->ncases];
            xmlDocPtr doc = NULL;
            int32_t rc = cs_xml_parse(&doc, (const uint8_t *)c->xml, c->len, LIMIT);
            w->runs++;
            if (rc != c->expected || (rc == CASESCRIBE_OK) != (doc != NULL))
                w->wrong_status++;
            else if (rc != CASESCRIBE_OK && strstr(casescribe_last_error(), c->needle) == NULL)
                w->wrong_message++;
            else if (rc == CASESCRIBE_OK && !xmlStrEqual(xmlDocGetRootElement(doc)->name, BAD_CAST c->needle))
                w->wrong_message++;
            xmlFreeDoc(doc);
        }
    }
    return NULL;
}

Test(threads, eight_threads_agree, .timeout = 60)
{
    size_t deep_len, ok_len;
    char *deep = nested(20000, &deep_len);
    char *ok32 = nested(32, &ok_len);
    const thread_case cases[] = {
        {reference_form, strlen(reference_form), CASESCRIBE_OK, "form"},
        {billion_laughs, strlen(billion_laughs), CASESCRIBE_EPARSE, "DOCTYPE"},
        {deep, deep_len, CASESCRIBE_EPARSE, "limit of 32"},
        {ok32, ok_len, CASESCRIBE_OK, "e"},
#define LIT(s) s, sizeof(s) - 1
        {LIT("<a>\xC0\xAF</a>"), CASESCRIBE_EPARSE, "UTF-8"},
        {LIT("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><f/>"), CASESCRIBE_EPARSE, "UTF-8"},
        {LIT("<form><a>"), CASESCRIBE_EPARSE, "not well-formed"},
        {LIT("<a>&x;</a>"), CASESCRIBE_EPARSE, "Entity 'x' not defined"},
#undef LIT
    };
    enum { THREADS = 8 };
    pthread_t tid[THREADS];
    worker w[THREADS];
    for (int t = 0; t < THREADS; t++) {
        w[t] = (worker){.cases = cases, .ncases = sizeof(cases) / sizeof(cases[0])};
        cr_assert_eq(pthread_create(&tid[t], NULL, worker_main, &w[t]), 0);
    }
    for (int t = 0; t < THREADS; t++) {
        cr_assert_eq(pthread_join(tid[t], NULL), 0);
        cr_assert_eq(w[t].runs, 150 * (int)(sizeof(cases) / sizeof(cases[0])));
        cr_assert_eq(w[t].wrong_status, 0, "thread %d: %d wrong statuses", t, w[t].wrong_status);
        cr_assert_eq(w[t].wrong_message, 0, "thread %d: %d wrong messages or trees", t, w[t].wrong_message);
    }
    free(deep);
    free(ok32);
}

/* ------------------------------------------------------------------------
 * Allocation failures (the test, as host, installs a failing allocator)
 * ------------------------------------------------------------------------ */

static long alloc_budget = -1; /* allocations left; -1: unlimited */

static int take_allocation(void)
{
    if (alloc_budget == 0)
        return 0;
    if (alloc_budget > 0)
        alloc_budget--;
    return 1;
}

static void *failing_malloc(size_t n)
{
    return take_allocation() ? malloc(n) : NULL;
}

static void *failing_realloc(void *p, size_t n)
{
    return take_allocation() ? realloc(p, n) : NULL;
}

static char *failing_strdup(const char *s)
{
    return take_allocation() ? strdup(s) : NULL;
}

static int quiet_calls;

static void quiet_handler(void *ctx, const char *msg, ...)
{
    (void)ctx;
    (void)msg;
    quiet_calls++;
}

/* Fails the 1st, 2nd, ... allocation of one parse in turn until a parse
 * runs without a failure. Every outcome must be either the complete,
 * correct result or a clean failure; ASan checks leaks and memory errors.
 * Returns how many runs reported ENOMEM. */
static int inject_failures(const char *label, const char *xml, int32_t expected)
{
    size_t len = strlen(xml);
    xmlDocPtr doc = NULL;
    cr_assert_eq(cs_xml_parse(&doc, (const uint8_t *)xml, len, LIMIT), expected, "%s", label);
    char *want = doc != NULL ? dump(doc) : NULL;
    xmlFreeDoc(doc);
    int enomem = 0;
    for (long budget = 0; budget < 100000; budget++) {
        alloc_budget = budget;
        int32_t rc = cs_xml_parse(&doc, (const uint8_t *)xml, len, LIMIT);
        int exhausted = alloc_budget == 0;
        alloc_budget = -1;
        if (rc == CASESCRIBE_OK) {
            cr_assert_eq(expected, CASESCRIBE_OK, "%s, budget %ld: accepted", label, budget);
            char *got = dump(doc);
            cr_assert_str_eq(got, want, "%s, budget %ld: a different tree", label, budget);
            free(got);
            xmlFreeDoc(doc);
        } else {
            cr_assert(rc == CASESCRIBE_ENOMEM || rc == expected, "%s, budget %ld: status %d (%s)", label, budget,
                      (int)rc, casescribe_last_error());
            cr_assert_null(doc);
            enomem += rc == CASESCRIBE_ENOMEM;
        }
        if (!exhausted) {
            cr_assert_eq(rc, expected, "%s: wrong status without failures", label);
            free(want);
            return enomem;
        }
    }
    cr_assert_fail("%s: still failing after 100000 allocations", label);
    return enomem;
}

/* The test, as host, installs the failing allocator; and a quiet generic
 * error handler, because libxml2 2.9 reports an allocation failure inside
 * xmlNewParserCtxt (before a context exists to route it) to that
 * process-wide handler, which prints to stderr by default. */
Test(oom, every_allocation_failure_is_clean, .timeout = 300)
{
    cr_assert_eq(xmlMemSetup(free, failing_malloc, failing_realloc, failing_strdup), 0);
    xmlSetGenericErrorFunc(NULL, quiet_handler);
    cr_assert_gt(inject_failures("form", reference_form, CASESCRIBE_OK), 0);
    cr_assert_gt(inject_failures("pi, comment, cdata", "<?a b?><!--c--><f><![CDATA[x]]>&amp;</f>", CASESCRIBE_OK), 0);
    cr_assert_gt(inject_failures("billion laughs", billion_laughs, CASESCRIBE_EPARSE), 0);
    cr_assert_gt(inject_failures("mismatch", "<f><g></f>", CASESCRIBE_EPARSE), 0);
    cr_assert_gt(inject_failures("undeclared entity", "<f>&x;</f>", CASESCRIBE_EPARSE), 0);
}
