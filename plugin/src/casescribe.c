/* SPDX-License-Identifier: Apache-2.0 */
/* casescribe.c - versions, status texts, constants and option structs. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "adapter.h"
#include "internal.h"

const char *casescribe_version(void)
{
    return CASESCRIBE_VERSION_STRING;
}

uint32_t casescribe_abi_version(void)
{
    return CASESCRIBE_ABI_VERSION;
}

/* The first casescribe_library_info: struct_size up to features. */
#define LIBRARY_INFO_V1 (offsetof(casescribe_library_info, features) + sizeof(uint32_t))

/* CASESCRIBE_FEATURE_ADAPTER_* for each built-in adapter the registry holds. */
static uint32_t adapter_features(void)
{
    static const struct {
        const char *name;
        uint32_t flag;
    } builtins[] = {{"xml", CASESCRIBE_FEATURE_ADAPTER_XML}, {"fhir", CASESCRIBE_FEATURE_ADAPTER_FHIR}};
    uint32_t features = 0;
    for (size_t i = 0; i < sizeof(builtins) / sizeof(builtins[0]); i++) {
        cs_adapter_use *use = NULL;
        if (cs_adapter_acquire(&use, builtins[i].name) == CASESCRIBE_OK) {
            features |= builtins[i].flag;
            cs_adapter_release(use);
        }
    }
    cs_clear_error();
    return features;
}

/* The engines and stores this build was configured with. */
static uint32_t build_features(void)
{
    uint32_t features = CASESCRIBE_FEATURE_EMBEDDED_ENGINE | CASESCRIBE_FEATURE_REMOTE_ENGINES |
                        CASESCRIBE_FEATURE_STORE_SQLITE;
#ifdef HAVE_LIBPQ
    features |= CASESCRIBE_FEATURE_STORE_POSTGRESQL;
#endif
    return features;
}

int32_t casescribe_version_info(casescribe_library_info *info, uint32_t struct_size)
{
    if (info == NULL || struct_size < LIBRARY_INFO_V1)
        return cs_fail(CASESCRIBE_EINVAL, "casescribe_version_info: a NULL info or a struct_size below %u",
                       (unsigned)LIBRARY_INFO_V1);
    casescribe_library_info all = {
        .struct_size = (uint32_t)(struct_size < sizeof(all) ? struct_size : sizeof(all)),
        .major = CASESCRIBE_VERSION_MAJOR,
        .minor = CASESCRIBE_VERSION_MINOR,
        .patch = CASESCRIBE_VERSION_PATCH,
        .version_num = CASESCRIBE_VERSION_NUM,
        .abi_version = CASESCRIBE_ABI_VERSION,
        .features = build_features() | adapter_features(),
    };
    memcpy(info, &all, all.struct_size);
    return CASESCRIBE_OK;
}

void casescribe_free(void *ptr)
{
    free(ptr);
}

const char *casescribe_strerror(int32_t status)
{
    switch (status) {
    case CASESCRIBE_OK: return "success";
    case CASESCRIBE_EINVAL: return "invalid argument";
    case CASESCRIBE_ENOMEM: return "out of memory";
    case CASESCRIBE_EIO: return "input/output error in the home folder";
    case CASESCRIBE_EPARSE: return "the payload is not well-formed or is unsafe XML";
    case CASESCRIBE_ESCHEMA: return "the payload is not a valid form";
    case CASESCRIBE_ECONSENT: return "consent does not cover AI text";
    case CASESCRIBE_EREVIEW: return "AI text has not been reviewed by a named person";
    case CASESCRIBE_ELAUNDER: return "text marked as written by a person matches AI-drafted text";
    case CASESCRIBE_EKEY: return "signing key missing, unsafe or unknown";
    case CASESCRIBE_EVERIFY: return "the record was changed after it was stamped";
    case CASESCRIBE_EJOURNAL: return "the journal is damaged or could not be written durably";
    case CASESCRIBE_ENOTFOUND: return "not found";
    case CASESCRIBE_ECONFLICT: return "a newer version of the record was saved meanwhile";
    case CASESCRIBE_ETOOBIG: return "input too large";
    case CASESCRIBE_EUNSTAMPED: return "the record carries no provenance";
    case CASESCRIBE_EINTERNAL: return "internal error";
    case CASESCRIBE_EPOLICY: return "refused by the team's AI policy or a template's never rule";
    case CASESCRIBE_ENETWORK: return "a network call failed (connection, certificate, timeout or HTTP error)";
    case CASESCRIBE_EBUSY: return "the job has not ended yet";
    case CASESCRIBE_ECANCELLED: return "the job was cancelled";
    case CASESCRIBE_EAUDIO: return "the recording cannot be used (not audio, corrupt, truncated, empty or silent)";
    case CASESCRIBE_EUNTRUSTED: return "verified only against a key that came with the data, not a trusted one";
    default: return "unknown status";
    }
}

#define CONSTANT(name) {#name, CASESCRIBE_##name}
static const struct {
    const char *name;
    int64_t value;
} constants[] = {
    CONSTANT(OK), CONSTANT(EINVAL), CONSTANT(ENOMEM), CONSTANT(EIO), CONSTANT(EPARSE), CONSTANT(ESCHEMA),
    CONSTANT(ECONSENT), CONSTANT(EREVIEW), CONSTANT(ELAUNDER), CONSTANT(EKEY), CONSTANT(EVERIFY),
    CONSTANT(EJOURNAL), CONSTANT(ENOTFOUND), CONSTANT(ECONFLICT), CONSTANT(ETOOBIG), CONSTANT(EUNSTAMPED),
    CONSTANT(EINTERNAL), CONSTANT(EPOLICY), CONSTANT(ENETWORK), CONSTANT(EBUSY), CONSTANT(ECANCELLED), CONSTANT(EAUDIO),
    CONSTANT(EUNTRUSTED),
    CONSTANT(JOB_QUEUED), CONSTANT(JOB_RUNNING), CONSTANT(JOB_DONE), CONSTANT(JOB_FAILED), CONSTANT(JOB_CANCELLED),
    CONSTANT(POLICY_DEFAULTS), CONSTANT(POLICY_SIGNED),
    CONSTANT(POLICY_REFUSED), CONSTANT(ABI_VERSION), CONSTANT(OPEN_CREATE), CONSTANT(OPEN_NO_SYNC), CONSTANT(OPEN_READ_ONLY), CONSTANT(OPEN_TWO_PHASE),
    CONSTANT(KEYGEN_ROTATE), CONSTANT(KEYS_LIST), CONSTANT(KEYS_HOME), CONSTANT(MAX_PAYLOAD), CONSTANT(MAX_XML_DEPTH),
    CONSTANT(REVIEW_CLOCK_SKEW), CONSTANT(CLOCK_SKEW),
    {"CTX_OPTIONS_SIZE", (int64_t)sizeof(casescribe_ctx_options)},
    {"ACTOR_SIZE", (int64_t)sizeof(casescribe_actor)},
    {"FETCH_OPTIONS_SIZE", (int64_t)sizeof(casescribe_fetch_options)},
    {"TRANSCRIBE_OPTIONS_SIZE", (int64_t)sizeof(casescribe_transcribe_options)},
    CONSTANT(TRANSCRIPT_TEXT), CONSTANT(TRANSCRIPT_XML), CONSTANT(TRANSCRIBE_TAKE_RECORDING),
    CONSTANT(AI_NEVER), CONSTANT(AI_DRAFT), CONSTANT(FILL_STYLE_QUOTE), CONSTANT(FILL_STYLE_REPORTED),
    CONSTANT(VERSION_MAJOR), CONSTANT(VERSION_MINOR), CONSTANT(VERSION_PATCH), CONSTANT(VERSION_NUM),
    CONSTANT(FEATURE_EMBEDDED_ENGINE), CONSTANT(FEATURE_REMOTE_ENGINES), CONSTANT(FEATURE_STORE_SQLITE),
    CONSTANT(FEATURE_STORE_POSTGRESQL), CONSTANT(FEATURE_ADAPTER_XML), CONSTANT(FEATURE_ADAPTER_FHIR),
    {"FILL_OPTIONS_SIZE", (int64_t)sizeof(casescribe_fill_options)},
    {"LIBRARY_INFO_SIZE", (int64_t)sizeof(casescribe_library_info)},
};

int32_t casescribe_constant(int64_t *value_out, const char *name)
{
    if (value_out != NULL)
        *value_out = 0;
    if (value_out == NULL || name == NULL)
        return cs_fail(CASESCRIBE_EINVAL, "value_out and name are required");
    for (size_t i = 0; i < sizeof(constants) / sizeof(*constants); i++) {
        if (strcmp(constants[i].name, name) == 0) {
            *value_out = constants[i].value;
            return CASESCRIBE_OK;
        }
    }
    return cs_fail(CASESCRIBE_ENOTFOUND, "no constant called '%s'", name);
}

/* The first published layouts of the option structs. A caller built against
 * an older header passes a smaller struct_size; fields past it keep their
 * defaults. A size larger than this library knows is refused, since the
 * caller would expect fields we would ignore. */
#define CTX_OPTIONS_V1_SIZE (offsetof(casescribe_ctx_options, home) + sizeof(const char *))
#define ACTOR_V1_SIZE (offsetof(casescribe_actor, role) + sizeof(const char *))

int32_t casescribe_ctx_options_init(casescribe_ctx_options *opts, uint32_t struct_size)
{
    if (opts == NULL || struct_size < CTX_OPTIONS_V1_SIZE || struct_size > sizeof(casescribe_ctx_options))
        return cs_fail(CASESCRIBE_EINVAL, "casescribe_ctx_options_init: pass sizeof(casescribe_ctx_options)");
    memset(opts, 0, struct_size);
    opts->struct_size = struct_size;
    return CASESCRIBE_OK;
}

int32_t casescribe_actor_init(casescribe_actor *actor, uint32_t struct_size)
{
    if (actor == NULL || struct_size < ACTOR_V1_SIZE || struct_size > sizeof(casescribe_actor))
        return cs_fail(CASESCRIBE_EINVAL, "casescribe_actor_init: pass sizeof(casescribe_actor)");
    memset(actor, 0, struct_size);
    actor->struct_size = struct_size;
    return CASESCRIBE_OK;
}
