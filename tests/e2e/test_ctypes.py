# SPDX-License-Identifier: Apache-2.0
"""A vendor's view of libcasescribe through Python ctypes: open a home, make a
key, save, inspect, verify, tamper, read the journal, free everything the
library allocated. Run by ctypes.sh against the installed library."""
import ctypes
import os
import sys
import tempfile
import threading
import time

lib = ctypes.CDLL(sys.argv[1])
c_int32, c_uint32, c_uint64, c_int64 = ctypes.c_int32, ctypes.c_uint32, ctypes.c_uint64, ctypes.c_int64
u8p = ctypes.POINTER(ctypes.c_uint8)


class CtxOptions(ctypes.Structure):
    _fields_ = [("struct_size", c_uint32), ("flags", c_uint32), ("home", ctypes.c_char_p)]


class Actor(ctypes.Structure):
    _fields_ = [("struct_size", c_uint32), ("reserved", c_uint32), ("user_id", ctypes.c_char_p),
                ("team", ctypes.c_char_p), ("role", ctypes.c_char_p)]


def declare(name, restype, *argtypes):
    fn = getattr(lib, name)
    fn.restype, fn.argtypes = restype, list(argtypes)
    return fn


declare("casescribe_version", ctypes.c_char_p)
declare("casescribe_last_error", ctypes.c_char_p)
declare("casescribe_strerror", ctypes.c_char_p, c_int32)
declare("casescribe_free", None, ctypes.c_void_p)
declare("casescribe_constant", c_int32, ctypes.POINTER(c_int64), ctypes.c_char_p)
declare("casescribe_ctx_options_init", c_int32, ctypes.POINTER(CtxOptions), c_uint32)
declare("casescribe_actor_init", c_int32, ctypes.POINTER(Actor), c_uint32)
declare("casescribe_ctx_open", c_int32, ctypes.POINTER(ctypes.c_void_p), ctypes.POINTER(CtxOptions))
declare("casescribe_ctx_close", None, ctypes.c_void_p)
declare("casescribe_keygen", c_int32, ctypes.POINTER(ctypes.c_void_p), ctypes.c_void_p, c_uint32)
declare("casescribe_public_key", c_int32, ctypes.POINTER(ctypes.c_void_p), ctypes.c_void_p)
declare("casescribe_save", c_int32, ctypes.POINTER(u8p), ctypes.POINTER(ctypes.c_size_t), ctypes.c_void_p,
        ctypes.c_char_p, ctypes.POINTER(Actor), ctypes.c_char_p, ctypes.c_size_t)
declare("casescribe_verify", c_int32, ctypes.POINTER(ctypes.c_void_p), ctypes.c_void_p, ctypes.c_char_p,
        ctypes.c_char_p, ctypes.c_size_t)
declare("casescribe_verify_with_public_key", c_int32, ctypes.POINTER(ctypes.c_void_p), ctypes.c_char_p,
        ctypes.c_char_p, ctypes.c_size_t, ctypes.c_char_p, ctypes.c_size_t)
declare("casescribe_record_open", c_int32, ctypes.POINTER(ctypes.c_void_p), ctypes.c_char_p, ctypes.c_char_p,
        ctypes.c_size_t)
declare("casescribe_record_free", None, ctypes.c_void_p)
declare("casescribe_record_version", c_uint32, ctypes.c_void_p)
declare("casescribe_record_section_count", c_uint32, ctypes.c_void_p)
for getter in ("id", "origin", "engine", "reviewer", "text"):
    declare("casescribe_record_section_" + getter, ctypes.c_char_p, ctypes.c_void_p, c_uint32)
declare("casescribe_journal_verify", c_int32, ctypes.POINTER(c_uint64), ctypes.POINTER(ctypes.c_void_p),
        ctypes.c_void_p)
declare("casescribe_journal_entry_get", c_int32, ctypes.POINTER(ctypes.c_void_p), ctypes.c_void_p, c_uint64)
declare("casescribe_journal_entry_free", None, ctypes.c_void_p)
declare("casescribe_journal_entry_record_id", ctypes.c_char_p, ctypes.c_void_p)
declare("casescribe_journal_entry_record_version", c_uint32, ctypes.c_void_p)
declare("casescribe_team_set", c_int32, ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p,
        ctypes.c_char_p)
declare("casescribe_team_policy", c_int32, ctypes.POINTER(ctypes.c_void_p), ctypes.c_void_p, ctypes.c_char_p)
declare("casescribe_policy_feature", c_int32, ctypes.c_void_p, ctypes.c_char_p)
declare("casescribe_policy_state", c_int32, ctypes.c_void_p)
declare("casescribe_policy_free", None, ctypes.c_void_p)


def constant(name):
    value = c_int64()
    assert lib.casescribe_constant(ctypes.byref(value), name.encode()) == 0, name
    return value.value


OK, EREVIEW, EVERIFY, ELAUNDER = (constant(n) for n in ("OK", "EREVIEW", "EVERIFY", "ELAUNDER"))


class CaseScribeError(Exception):
    def __init__(self, status):
        self.status = status
        super().__init__("%d: %s" % (status, lib.casescribe_last_error().decode()))


def check(status):
    if status != OK:
        raise CaseScribeError(status)


def take_string(ptr):
    """Copies a library-allocated string and frees it with casescribe_free."""
    if not ptr.value:
        return None
    text = ctypes.string_at(ptr.value).decode()
    lib.casescribe_free(ptr)
    return text


def open_home(path):
    opts = CtxOptions()
    check(lib.casescribe_ctx_options_init(ctypes.byref(opts), ctypes.sizeof(opts)))
    assert opts.struct_size == constant("CTX_OPTIONS_SIZE")
    opts.home = path.encode()
    opts.flags = constant("OPEN_CREATE")
    ctx = ctypes.c_void_p()
    check(lib.casescribe_ctx_open(ctypes.byref(ctx), ctypes.byref(opts)))
    return ctx


def save(ctx, xml):
    actor = Actor()
    check(lib.casescribe_actor_init(ctypes.byref(actor), ctypes.sizeof(actor)))
    actor.user_id, actor.role = b"sw-017", b"social-worker"
    out, out_len = u8p(), ctypes.c_size_t()
    data = xml.encode()
    status = lib.casescribe_save(ctypes.byref(out), ctypes.byref(out_len), ctx, b"xml", ctypes.byref(actor), data,
                                 len(data))
    if status != OK:
        raise CaseScribeError(status)
    stamped = ctypes.string_at(out, out_len.value).decode()
    lib.casescribe_free(out)
    return stamped


def verify(ctx, xml):
    report = ctypes.c_void_p()
    data = xml.encode()
    status = lib.casescribe_verify(ctypes.byref(report), ctx, b"xml", data, len(data))
    return status, take_string(report)


FORM = open(sys.argv[2]).read()


def review():
    """A review recorded now: after the draft it checks was saved."""
    at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    return f'origin="ai-reviewed" reviewed-by="sw-017" reviewed-at="{at}" review="edited"'


def main():
    assert lib.casescribe_version().decode().count(".") == 2
    with tempfile.TemporaryDirectory() as home:
        ctx = open_home(home)
        key_id = ctypes.c_void_p()
        check(lib.casescribe_keygen(ctypes.byref(key_id), ctx, 0))
        assert take_string(key_id).startswith("ed25519:")

        # A vendor's admin screen: AI drafting is off until switched on.
        policy = ctypes.c_void_p()
        check(lib.casescribe_team_policy(ctypes.byref(policy), ctx, b"cin-north"))
        assert lib.casescribe_policy_feature(policy, b"ai-draft") == 0
        assert lib.casescribe_policy_state(policy) == constant("POLICY_DEFAULTS")
        lib.casescribe_policy_free(policy)
        try:
            save(ctx, FORM)
            raise AssertionError("an AI section was saved with ai-draft off")
        except CaseScribeError as e:
            assert e.status == constant("EPOLICY"), e
        check(lib.casescribe_team_set(ctx, b"admin-1", b"cin-north", b"ai-draft", b"on"))
        check(lib.casescribe_team_policy(ctypes.byref(policy), ctx, b"cin-north"))
        assert lib.casescribe_policy_feature(policy, b"ai-draft") == 1
        assert lib.casescribe_policy_state(policy) == constant("POLICY_SIGNED")
        lib.casescribe_policy_free(policy)

        v1 = save(ctx, FORM)
        rec = ctypes.c_void_p()
        check(lib.casescribe_record_open(ctypes.byref(rec), b"xml", v1.encode(), len(v1.encode())))
        assert lib.casescribe_record_version(rec) == 1
        sections = {lib.casescribe_record_section_id(rec, i).decode(): lib.casescribe_record_section_origin(rec, i).decode()
                    for i in range(lib.casescribe_record_section_count(rec))}
        assert sections == {"observations": "ai-draft", "analysis": "human"}, sections
        assert lib.casescribe_record_section_engine(rec, 0) == b"embedded:pocketsphinx"
        lib.casescribe_record_free(rec)

        # The final save is refused while the draft is unreviewed.
        final = v1.replace('author="sw-017"', 'author="sw-017" final="true"')
        try:
            save(ctx, final)
            raise AssertionError("final save with an unreviewed draft was accepted")
        except CaseScribeError as e:
            assert e.status == EREVIEW and "observations" in str(e), e

        v2 = save(ctx, final.replace('<section id="observations" origin="ai-draft"',
                                     '<section id="observations" ' + review()))
        status, report = verify(ctx, v2)
        assert status == OK and "VERIFIED" in report and "checked and changed by sw-017" in report, report

        status, report = verify(ctx, v2.replace("Tuesdays", "Fridays"))
        assert status == EVERIFY and "text changed" in report, report

        # Laundering: the reviewed AI text pasted into a new record as the worker's own.
        human = FORM.replace('R-7001', 'R-7002').replace(
            'origin="ai-draft" engine="embedded:pocketsphinx" model="en-us"', 'origin="human"')
        try:
            save(ctx, human)
            raise AssertionError("laundered AI text was accepted")
        except CaseScribeError as e:
            assert e.status == ELAUNDER, e

        pem = ctypes.c_void_p()
        check(lib.casescribe_public_key(ctypes.byref(pem), ctx))
        pem_text = take_string(pem).encode()
        assert lib.casescribe_verify_with_public_key(None, b"xml", pem_text, len(pem_text), v2.encode(),
                                                     len(v2.encode())) == OK

        # One context, several threads.
        errors = []

        def worker(n):
            try:
                for i in range(10):
                    save(ctx, FORM.replace('R-7001', 'R-T%d-%d' % (n, i)).replace(
                        "Tuesdays", "Tuesdays (thread %d, save %d)" % (n, i)))
            except Exception as e:  # noqa: BLE001 - collected and asserted below
                errors.append(e)

        threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors, errors

        count, report = c_uint64(), ctypes.c_void_p()
        check(lib.casescribe_journal_verify(ctypes.byref(count), ctypes.byref(report), ctx))
        assert count.value == 44, count.value  # the key, the policy change and 42 saves
        assert "check out" in take_string(report)
        entry = ctypes.c_void_p()
        check(lib.casescribe_journal_entry_get(ctypes.byref(entry), ctx, 4))
        assert lib.casescribe_journal_entry_record_id(entry) == b"R-7001"
        assert lib.casescribe_journal_entry_record_version(entry) == 2
        lib.casescribe_journal_entry_free(entry)
        lib.casescribe_ctx_close(ctx)
    print("ctypes: open, keygen, team policy, save, inspect, review gate, verify, tamper, launder, pubkey, threads, journal")


main()
