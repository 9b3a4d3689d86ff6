/* SPDX-License-Identifier: Apache-2.0 */
/* safe_parse.c - the one hardened entry point through which every XML input
 * is parsed (see safe_parse.h for the contract).
 *
 * Three layers, cheapest first, each a separate line of defence:
 *
 *  1. Byte checks before libxml2 sees anything: size cap, NUL bytes, a
 *     UTF-16/32 byte order mark, strict UTF-8, and the encoding named in the
 *     XML declaration (only UTF-8). libxml2 is then told to read UTF-8 and to
 *     ignore the declaration (XML_PARSE_IGNORE_ENC), so an attacker can never
 *     make it switch to another decoder half-way through the document.
 *     Also a cap on attributes per tag and on namespace declarations, which
 *     libxml2 2.9 handles in quadratic time (see check_tags).
 *  2. A per-parse context whose own SAX table (a private copy that libxml2
 *     allocates for every context, not the global default handler) is hooked:
 *     the parse is stopped the moment a DOCTYPE is seen, before one byte of an
 *     internal subset is read, so no entity (internal, external, parameter)
 *     can even be declared and no external DTD is ever considered; element
 *     nesting is counted and the parse stopped past the cap, whatever the
 *     host may have set xmlParserMaxDepth to. Errors go to a per-context
 *     structured handler, never to the host's global handlers.
 *  3. After the parse, an iterative walk of the tree that accepts only
 *     element, text, CDATA, comment and processing-instruction nodes and
 *     checks the depth again, in case a libxml2 version behaves differently.
 *
 * Nothing here changes process-wide libxml2 state (no xmlSetExternalEntity-
 * Loader, xmlMemSetup, xmlSetGenericErrorFunc, xmlCleanupParser, defaults).
 * The documented, idempotent xmlInitParser() is called once under
 * pthread_once, because libxml2 2.9 does not make its first call
 * thread-safe; the calling thread's xmlLastError, which libxml2 overwrites
 * on every error, is put back as the host had it. One thing cannot be
 * helped: when an allocation fails inside xmlNewParserCtxt, before there is
 * a context to route errors to, libxml2 reports it to the process-wide
 * generic error handler (stderr by default).
 *
 * Comments and processing instructions are accepted: they are inert in the
 * tree (libxml2 never acts on an xml-stylesheet PI) and the form schema
 * decides what it reads. */
#include "xml/safe_parse.h"

#include <libxml/SAX2.h>
#include <libxml/globals.h>
#include <libxml/parser.h>
#include <libxml/xmlerror.h>
#include <limits.h>
#include <pthread.h>
#include <string.h>

#include "internal.h"

/* NONET: belt and braces, nothing is ever loaded anyway (no DTDLOAD, no
 * NOENT: NOENT would *enable* external entities). NOCDATA: CDATA becomes
 * plain text so that readers of the tree see one kind of text node.
 * IGNORE_ENC: see layer 1 above. Never HUGE, XINCLUDE, DTDVALID, DTDATTR. */
#define CS_XML_OPTIONS                                                                                       \
    (XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_NOCDATA | XML_PARSE_IGNORE_ENC)

/* Far above what a form needs (a dozen attributes, one or two namespaces)
 * and far below where libxml2 2.9's quadratic checks hurt (check_tags). */
#define CS_XML_MAX_ATTRS 256u
#define CS_XML_MAX_NS 64u

/* Longest libxml2 message copied into our error; its messages are short,
 * and capping keeps document text (names in messages) to a few words. */
#define CS_XML_MSG_MAX 120

/* What the SAX hooks and the error handler saw during one parse. Lives on
 * the caller's stack and is reached through ctxt->_private. */
typedef struct parse_state {
    unsigned depth;   /* current element nesting */
    int doctype_line; /* > 0: a DOCTYPE was met on this line */
    int deep_line;    /* > 0: the depth cap was passed on this line */
    int err_seen;     /* the first error (not warning) is kept below */
    int err_code;
    int err_line;
    char err_msg[CS_XML_MSG_MAX + 1];
} parse_state;

static pthread_once_t init_once = PTHREAD_ONCE_INIT;

/* ------------------------------------------------------------------------
 * Layer 1: bytes
 * ------------------------------------------------------------------------ */

/* Length of the valid UTF-8 sequence at s[0..n), or 0 when it is invalid:
 * overlong forms, surrogates (ED A0..BF) and code points above U+10FFFF are
 * refused, as RFC 3629 requires. */
static size_t utf8_seq_len(const uint8_t *s, size_t n)
{
    uint8_t c = s[0], lo = 0x80, hi = 0xBF;
    size_t len;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        len = 2;
    else if (c >= 0xE0 && c <= 0xEF)
        len = 3;
    else if (c >= 0xF0 && c <= 0xF4)
        len = 4;
    else
        return 0; /* continuation byte first, C0/C1 overlong, F5..FF */
    if (c == 0xE0)
        lo = 0xA0; /* overlong 3-byte */
    else if (c == 0xED)
        hi = 0x9F; /* UTF-16 surrogates */
    else if (c == 0xF0)
        lo = 0x90; /* overlong 4-byte */
    else if (c == 0xF4)
        hi = 0x8F; /* above U+10FFFF */
    if (n < len || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < len; i++)
        if (s[i] < 0x80 || s[i] > 0xBF)
            return 0;
    return len;
}

/* Offset of the first byte that is NUL or not valid UTF-8, or len. NUL is
 * refused because XML 1.0 has no U+0000 and libxml2 2.9 takes it for the
 * end of input, which would silently accept "<a/>\0anything". */
static size_t first_bad_byte(const uint8_t *buf, size_t len, int *is_nul)
{
    size_t i = 0;
    while (i < len) {
        size_t n = buf[i] == 0 ? 0 : utf8_seq_len(buf + i, len - i);
        if (n == 0) {
            *is_nul = buf[i] == 0;
            return i;
        }
        i += n;
    }
    return len;
}

/* ASCII-only, locale-independent case-insensitive comparison
 * (strncasecmp follows the host's locale, e.g. Turkish dotless i). */
static int ascii_ieq(const uint8_t *a, size_t n, const char *b)
{
    if (strlen(b) != n)
        return 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t x = a[i], y = (uint8_t)b[i];
        if (x >= 'A' && x <= 'Z')
            x = (uint8_t)(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z')
            y = (uint8_t)(y - 'A' + 'a');
        if (x != y)
            return 0;
    }
    return 1;
}

static int is_xml_blank(uint8_t c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Offset of `needle` in hay[0..n), or n when absent. */
static size_t find_bytes(const uint8_t *hay, size_t n, const char *needle)
{
    size_t m = strlen(needle);
    for (size_t i = 0; m <= n && i <= n - m; i++)
        if (memcmp(hay + i, needle, m) == 0)
            return i;
    return n;
}

/* Reads `Eq quote EncName quote` after the word "encoding" in decl[0..n).
 * Returns 1 for UTF-8, 0 for anything else, including a shape that is not
 * the XML grammar's (fail closed: libxml2 would refuse it anyway, since in
 * a well-formed declaration "encoding" can only be this keyword). */
static int declared_utf8(const uint8_t *decl, size_t n)
{
    size_t i = 0;
    while (i < n && is_xml_blank(decl[i]))
        i++;
    if (i >= n || decl[i++] != '=')
        return 0;
    while (i < n && is_xml_blank(decl[i]))
        i++;
    if (i >= n || (decl[i] != '"' && decl[i] != '\''))
        return 0;
    uint8_t quote = decl[i++];
    size_t start = i;
    while (i < n && decl[i] != quote)
        i++;
    if (i >= n)
        return 0;
    return ascii_ieq(decl + start, i - start, "UTF-8") || ascii_ieq(decl + start, i - start, "UTF8");
}

/* Refuses an XML declaration that names an encoding other than UTF-8.
 * libxml2 parses with XML_PARSE_IGNORE_ENC, which throws the declared name
 * away, so this is the only place it is looked at. */
static int32_t check_declared_encoding(const uint8_t *buf, size_t len)
{
    if (len < 6 || memcmp(buf, "<?xml", 5) != 0 || !is_xml_blank(buf[5]))
        return CASESCRIBE_OK; /* no declaration: UTF-8 by the XML rules */
    /* "?>" cannot occur inside a well-formed declaration's values. */
    size_t end = find_bytes(buf, len, "?>");
    size_t at = find_bytes(buf, end, "encoding");
    if (at == end)
        return CASESCRIBE_OK; /* no encoding declared: UTF-8 */
    at += strlen("encoding");
    if (!declared_utf8(buf + at, end - at))
        return cs_fail(CASESCRIBE_EPARSE, "the XML declaration names an encoding other than UTF-8: "
                                          "only UTF-8 is accepted");
    return CASESCRIBE_OK;
}

/* Skips the blanks and quoted value after an '=' in a tag, as libxml2
 * reads an attribute value; a value ends at its quote or at a '<', where
 * libxml2 also stops collecting the tag's attributes. */
static size_t skip_value(const uint8_t *buf, size_t len, size_t i)
{
    while (i < len && is_xml_blank(buf[i]))
        i++;
    if (i >= len || (buf[i] != '"' && buf[i] != '\''))
        return i;
    uint8_t quote = buf[i++];
    while (i < len && buf[i] != quote && buf[i] != '<')
        i++;
    return i < len && buf[i] == quote ? i + 1 : i;
}

/* Scans one tag from just after its '<' to its '>' (outside values) or the
 * next '<', counting the '=' signs (every attribute has one) and the
 * "xmlns" names. Returns where it stopped. */
static size_t scan_tag(const uint8_t *buf, size_t len, size_t i, size_t *attrs, size_t *ns)
{
    while (i < len && buf[i] != '<' && buf[i] != '>') {
        if (buf[i] == '=') {
            (*attrs)++;
            i = skip_value(buf, len, i + 1);
            continue;
        }
        if (buf[i] == 'x' && len - i >= 5 && memcmp(buf + i, "xmlns", 5) == 0)
            (*ns)++;
        i++;
    }
    return i;
}

/* libxml2 2.9 compares every attribute of a start tag with every earlier
 * one and looks each prefix up along the whole stack of namespace
 * declarations: 100,000 attributes in one 1 MB tag take 20 s. Each tag
 * libxml2 parses starts at a raw '<' and its attributes all lie before the
 * next raw '<', so counting per '<' over-approximates what it would see.
 * Comments, PIs and CDATA are deliberately not skipped but scanned like
 * tags (only an absurd one reaches the caps): skipping a "comment" that
 * libxml2 abandons half-way (say, at a control character) would hide the
 * tags it then goes on to parse. */
static int32_t check_tags(const uint8_t *buf, size_t len)
{
    size_t ns = 0, i = 0;
    while (i < len) {
        const uint8_t *lt = memchr(buf + i, '<', len - i);
        if (lt == NULL)
            break;
        size_t attrs = 0;
        i = scan_tag(buf, len, (size_t)(lt - buf) + 1, &attrs, &ns);
        if (attrs > CS_XML_MAX_ATTRS)
            return cs_fail(CASESCRIBE_EPARSE, "an XML tag has more than %u attributes", CS_XML_MAX_ATTRS);
        if (ns > CS_XML_MAX_NS)
            return cs_fail(CASESCRIBE_EPARSE, "the XML payload declares more than %u namespaces", CS_XML_MAX_NS);
    }
    return CASESCRIBE_OK;
}

/* Everything that can be decided from the bytes alone, before parsing. */
static int32_t check_bytes(const uint8_t *buf, size_t len, size_t max_bytes)
{
    if (buf == NULL || len == 0)
        return cs_fail(CASESCRIBE_EPARSE, "the XML payload is empty");
    if (len > max_bytes)
        return cs_fail(CASESCRIBE_ETOOBIG, "the XML payload is %zu bytes, more than the limit of %zu", len,
                       max_bytes);
    if (len > (size_t)INT_MAX) /* xmlCtxtReadMemory takes an int */
        return cs_fail(CASESCRIBE_ETOOBIG, "the XML payload is %zu bytes, more than libxml2 accepts", len);
    if (len >= 2 && ((buf[0] == 0xFE && buf[1] == 0xFF) || (buf[0] == 0xFF && buf[1] == 0xFE)))
        return cs_fail(CASESCRIBE_EPARSE, "the XML payload starts with a UTF-16 or UTF-32 byte order mark: "
                                          "only UTF-8 is accepted");
    int is_nul = 0;
    size_t bad = first_bad_byte(buf, len, &is_nul);
    if (bad < len && is_nul)
        return cs_fail(CASESCRIBE_EPARSE, "the XML payload contains a NUL byte at offset %zu "
                                          "(only UTF-8 text is accepted)", bad);
    if (bad < len)
        return cs_fail(CASESCRIBE_EPARSE, "the XML payload is not valid UTF-8 at offset %zu", bad);
    size_t bom = len >= 3 && buf[0] == 0xEF && buf[1] == 0xBB && buf[2] == 0xBF ? 3 : 0;
    int32_t rc = check_declared_encoding(buf + bom, len - bom);
    return rc != CASESCRIBE_OK ? rc : check_tags(buf, len);
}

/* ------------------------------------------------------------------------
 * Layer 2: the per-parse context and its hooks
 * ------------------------------------------------------------------------ */

static int current_line(xmlParserCtxtPtr ctxt)
{
    return ctxt->input != NULL ? ctxt->input->line : 0;
}

/* A DOCTYPE: stop now, before libxml2 reads the internal subset or thinks
 * about the external one. This is what keeps entities of every kind out. */
static void on_doctype(void *ctx, const xmlChar *name, const xmlChar *external_id, const xmlChar *system_id)
{
    xmlParserCtxtPtr ctxt = ctx;
    parse_state *st = ctxt->_private;
    (void)name;
    (void)external_id;
    (void)system_id;
    if (st->doctype_line == 0)
        st->doctype_line = current_line(ctxt) > 0 ? current_line(ctxt) : 1;
    xmlStopParser(ctxt);
}

static void on_start_element(void *ctx, const xmlChar *localname, const xmlChar *prefix, const xmlChar *uri,
                             int nb_namespaces, const xmlChar **namespaces, int nb_attributes, int nb_defaulted,
                             const xmlChar **attributes)
{
    xmlParserCtxtPtr ctxt = ctx;
    parse_state *st = ctxt->_private;
    if (++st->depth > CASESCRIBE_MAX_XML_DEPTH) {
        st->deep_line = current_line(ctxt) > 0 ? current_line(ctxt) : 1;
        xmlStopParser(ctxt); /* no point reading the rest of a hostile document */
        return;
    }
    xmlSAX2StartElementNs(ctx, localname, prefix, uri, nb_namespaces, namespaces, nb_attributes, nb_defaulted,
                          attributes);
}

static void on_end_element(void *ctx, const xmlChar *localname, const xmlChar *prefix, const xmlChar *uri)
{
    xmlParserCtxtPtr ctxt = ctx;
    parse_state *st = ctxt->_private;
    if (st->depth > 0)
        st->depth--;
    xmlSAX2EndElementNs(ctx, localname, prefix, uri);
}

/* Copies libxml2's message without its newline, keeping printable ASCII
 * only, so that our message stays one short, valid UTF-8 line. */
static void copy_message(char *dst, const char *src)
{
    size_t n = 0;
    for (; src != NULL && src[n] != '\0' && src[n] != '\n' && n < CS_XML_MSG_MAX; n++) {
        unsigned char c = (unsigned char)src[n];
        dst[n] = c >= 0x20 && c < 0x7F ? (char)c : '?';
    }
    dst[n] = '\0';
}

/* libxml2 formats every message it raises; no message means that
 * allocation failed, and the error code (often "internal error") is then a
 * consequence of running out of memory, not of the document. */
static int error_code(const xmlError *err)
{
    return err->message == NULL ? XML_ERR_NO_MEMORY : err->code;
}

/* The per-context structured error handler: keeps the first error, which
 * names the cause (later ones are its consequences), and by existing keeps
 * libxml2 from calling the host's global error handlers. */
static void on_error(void *ctx, xmlErrorPtr err)
{
    xmlParserCtxtPtr ctxt = ctx;
    parse_state *st = ctxt != NULL ? ctxt->_private : NULL;
    if (st == NULL || err == NULL || err->level < XML_ERR_ERROR || st->err_seen)
        return;
    st->err_seen = 1;
    st->err_code = error_code(err);
    st->err_line = err->line;
    copy_message(st->err_msg, err->message);
}

static void install_hooks(xmlParserCtxtPtr ctxt, parse_state *st)
{
    ctxt->_private = st;
    ctxt->sax->internalSubset = on_doctype;
    ctxt->sax->externalSubset = NULL; /* never reached; never load a DTD */
    ctxt->sax->startElementNs = on_start_element;
    ctxt->sax->endElementNs = on_end_element;
    ctxt->sax->serror = on_error;
}

/* ------------------------------------------------------------------------
 * Judging the result
 * ------------------------------------------------------------------------ */

/* A failed parse: out of memory, or not well-formed with libxml2's reason. */
static int32_t parse_failure(xmlParserCtxtPtr ctxt, const parse_state *st, const xmlDoc *doc)
{
    int code = st->err_seen ? st->err_code : 0, line = st->err_line;
    char msg[CS_XML_MSG_MAX + 1] = "";
    if (st->err_seen) {
        memcpy(msg, st->err_msg, sizeof(msg));
    } else {
        xmlErrorPtr last = xmlCtxtGetLastError(ctxt);
        if (last != NULL && last->level >= XML_ERR_ERROR) {
            code = error_code(last);
            line = last->line;
            copy_message(msg, last->message);
        }
    }
    /* libxml2 returns no document and no error only when an allocation for
     * the input failed before parsing began. */
    if (code == XML_ERR_NO_MEMORY || (code == 0 && doc == NULL))
        return cs_fail(CASESCRIBE_ENOMEM, "out of memory while parsing XML");
    if (code == 0)
        return cs_fail(CASESCRIBE_EPARSE, "the XML payload is not well-formed");
    return cs_fail(CASESCRIBE_EPARSE, "the XML payload is not well-formed (line %d): %s", line, msg);
}

static int32_t judge_parse(xmlParserCtxtPtr ctxt, const parse_state *st, const xmlDoc *doc)
{
    if (st->doctype_line > 0)
        return cs_fail(CASESCRIBE_EPARSE, "DOCTYPE declarations are not accepted (line %d)", st->doctype_line);
    if (st->deep_line > 0)
        return cs_fail(CASESCRIBE_EPARSE, "XML elements are nested deeper than the limit of %u (line %d)",
                       CASESCRIBE_MAX_XML_DEPTH, st->deep_line);
    /* An out-of-memory error in libxml2 2.9 stops the parse without
     * clearing wellFormed, so any error at all refuses the document;
     * nsWellFormed catches namespace errors (undeclared prefixes). */
    if (doc == NULL || st->err_seen || !ctxt->wellFormed || !ctxt->nsWellFormed)
        return parse_failure(ctxt, st, doc);
    /* With IGNORE_ENC libxml2 records the forced "UTF-8"; anything else
     * means it decoded with something we did not ask for. */
    if (doc->encoding != NULL && !ascii_ieq(doc->encoding, strlen((const char *)doc->encoding), "UTF-8"))
        return cs_fail(CASESCRIBE_EPARSE, "the XML payload was not read as UTF-8");
    return CASESCRIBE_OK;
}

/* ------------------------------------------------------------------------
 * Layer 3: the tree
 * ------------------------------------------------------------------------ */

static long node_line(const xmlNode *node)
{
    return xmlGetLineNo(node);
}

/* Node kinds that may appear in an accepted tree; everything else (entity
 * references, DTD nodes, XInclude markers, ...) is refused. */
static int32_t check_node_type(const xmlNode *node)
{
    switch (node->type) {
    case XML_ELEMENT_NODE:
    case XML_TEXT_NODE:
    case XML_CDATA_SECTION_NODE:
    case XML_COMMENT_NODE:
    case XML_PI_NODE:
        return CASESCRIBE_OK;
    case XML_ENTITY_REF_NODE:
    case XML_ENTITY_NODE:
    case XML_ENTITY_DECL:
        return cs_fail(CASESCRIBE_EPARSE, "XML entities are not accepted (line %ld)", node_line(node));
    case XML_DTD_NODE:
    case XML_DOCUMENT_TYPE_NODE:
        return cs_fail(CASESCRIBE_EPARSE, "DOCTYPE declarations are not accepted");
    default:
        return cs_fail(CASESCRIBE_EPARSE, "the XML payload holds a node of unexpected kind %d", (int)node->type);
    }
}

/* Attribute values may only be text: an entity reference would show up as
 * a child of the attribute. */
static int32_t check_attributes(const xmlNode *element)
{
    for (const xmlAttr *a = element->properties; a != NULL; a = a->next)
        for (const xmlNode *c = a->children; c != NULL; c = c->next)
            if (c->type != XML_TEXT_NODE)
                return cs_fail(CASESCRIBE_EPARSE, "XML entities are not accepted (line %ld)", node_line(element));
    return CASESCRIBE_OK;
}

static int32_t check_node(const xmlNode *node, unsigned depth)
{
    int32_t rc = check_node_type(node);
    if (rc != CASESCRIBE_OK || node->type != XML_ELEMENT_NODE)
        return rc;
    if (depth > CASESCRIBE_MAX_XML_DEPTH)
        return cs_fail(CASESCRIBE_EPARSE, "XML elements are nested deeper than the limit of %u (line %ld)",
                       CASESCRIBE_MAX_XML_DEPTH, node_line(node));
    return check_attributes(node);
}

/* The node after `node` in document order, descending only into elements
 * (never into an entity reference's borrowed children), keeping `depth`
 * equal to the number of elements from the root down to the node. No
 * recursion: a hostile tree must not be able to exhaust the host's stack. */
static const xmlNode *next_node(const xmlNode *node, unsigned *depth)
{
    if (node->type == XML_ELEMENT_NODE && node->children != NULL) {
        (*depth)++;
        return node->children;
    }
    while (node != NULL) {
        if (node->next != NULL)
            return node->next;
        node = node->parent;
        if (node == NULL || node->type == XML_DOCUMENT_NODE)
            return NULL;
        (*depth)--;
    }
    return NULL;
}

static int32_t check_tree(const xmlDoc *doc)
{
    if (doc->intSubset != NULL || doc->extSubset != NULL)
        return cs_fail(CASESCRIBE_EPARSE, "DOCTYPE declarations are not accepted");
    unsigned depth = 1;
    for (const xmlNode *n = doc->children; n != NULL; n = next_node(n, &depth)) {
        int32_t rc = check_node(n, depth);
        if (rc != CASESCRIBE_OK)
            return rc;
    }
    return CASESCRIBE_OK;
}

/* ------------------------------------------------------------------------
 * The entry point
 * ------------------------------------------------------------------------ */

/* Parses with a fresh context; on success the tree is returned in *out. */
static int32_t parse_bytes(xmlDocPtr *out, const uint8_t *buf, size_t len)
{
    parse_state st;
    memset(&st, 0, sizeof(st));
    xmlParserCtxtPtr ctxt = xmlNewParserCtxt();
    if (ctxt == NULL || ctxt->sax == NULL) {
        xmlFreeParserCtxt(ctxt);
        return cs_fail(CASESCRIBE_ENOMEM, "out of memory while parsing XML");
    }
    install_hooks(ctxt, &st);
    /* No base URL: nothing is ever resolved against the host's directory. */
    xmlDocPtr doc = xmlCtxtReadMemory(ctxt, (const char *)buf, (int)len, NULL, "UTF-8", CS_XML_OPTIONS);
    int32_t rc = judge_parse(ctxt, &st, doc);
    ctxt->_private = NULL;
    xmlFreeParserCtxt(ctxt);
    if (rc == CASESCRIBE_OK)
        rc = check_tree(doc);
    if (rc != CASESCRIBE_OK) {
        xmlFreeDoc(doc);
        return rc;
    }
    *out = doc;
    return CASESCRIBE_OK;
}

int32_t cs_xml_parse(xmlDocPtr *out, const uint8_t *buf, size_t len, size_t max_bytes)
{
    if (out == NULL)
        return cs_fail(CASESCRIBE_EINVAL, "cs_xml_parse: no place for the document (out is NULL)");
    *out = NULL;
    int32_t rc = check_bytes(buf, len, max_bytes);
    if (rc != CASESCRIBE_OK)
        return rc;
    (void)pthread_once(&init_once, xmlInitParser);
    /* libxml2 copies every parse error into the calling thread's
     * xmlLastError, with a pointer to our context, which is freed before
     * we return: put back what the host had, so that its xmlGetLastError()
     * neither changes nor dangles. */
    xmlError host_error;
    cs_xml_host_error_save(&host_error);
    rc = parse_bytes(out, buf, len);
    cs_xml_host_error_restore(&host_error);
    return rc;
}

void cs_xml_host_error_save(xmlError *saved)
{
    memset(saved, 0, sizeof(*saved));
    xmlCopyError(&xmlLastError, saved);
}

void cs_xml_host_error_restore(xmlError *saved)
{
    xmlCopyError(saved, &xmlLastError);
    xmlResetError(saved);
}

int cs_xml_is_element(xmlNodePtr n, const char *name)
{
    return n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0;
}
