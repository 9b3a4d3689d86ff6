/* SPDX-License-Identifier: Apache-2.0 */
/* xml.c - the reference form adapter, "xml".
 *
 * The host's payload is the reference form itself (urn:casescribe:form:1),
 * so decode and encode hand the bytes through: the library parses and
 * checks what decode gives it whatever the adapter, which is all the
 * checking a reference form needs. Written against the public header
 * only, like any vendor's adapter. */
#include <casescribe.h>

#include "builtin.h"

static int32_t xml_decode(void *user, casescribe_buf *form_out, const uint8_t *payload, size_t payload_len)
{
    (void)user;
    return casescribe_buf_append(form_out, payload, payload_len);
}

static int32_t xml_encode(void *user, casescribe_buf *payload_out, casescribe_ctx *ctx, const uint8_t *form,
                          size_t form_len, const uint8_t *original, size_t original_len)
{
    (void)user;
    (void)ctx;
    (void)original;
    (void)original_len;
    return casescribe_buf_append(payload_out, form, form_len);
}

int32_t cs_xml_adapter_fill(casescribe_adapter *a)
{
    a->name = "xml";
    a->decode = xml_decode;
    a->encode = xml_encode;
    return CASESCRIBE_OK;
}
