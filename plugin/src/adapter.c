/* adapter.c - the adapter registry. */
#include "adapter.h"

#include <string.h>

#include "internal.h"
#include "record/form_xml.h"
#include "record/record.h"

static const cs_adapter builtin[] = {
    {"xml", cs_form_decode, cs_form_encode},
};

const cs_adapter *cs_adapter_find(const char *name)
{
    for (size_t i = 0; name != NULL && i < sizeof(builtin) / sizeof(*builtin); i++)
        if (strcmp(builtin[i].name, name) == 0)
            return &builtin[i];
    cs_fail(CASESCRIBE_ENOTFOUND, "no adapter called '%s' (known: xml)", name != NULL ? name : "(null)");
    return NULL;
}

int32_t cs_adapter_decode(cs_record **out, const char *adapter, const uint8_t *payload, size_t len)
{
    *out = NULL;
    if (payload == NULL && len > 0)
        return cs_fail(CASESCRIBE_EINVAL, "payload is NULL");
    if (len > CASESCRIBE_MAX_PAYLOAD)
        return cs_fail(CASESCRIBE_ETOOBIG, "the payload is %zu bytes; the limit is %u", len,
                       (unsigned)CASESCRIBE_MAX_PAYLOAD);
    const cs_adapter *a = cs_adapter_find(adapter);
    if (a == NULL)
        return CASESCRIBE_ENOTFOUND;
    int32_t rc = a->decode(out, payload, len);
    if (rc == CASESCRIBE_OK && (rc = cs_record_check_cites(*out)) != CASESCRIBE_OK) {
        cs_record_free(*out);
        *out = NULL;
    }
    return rc;
}
