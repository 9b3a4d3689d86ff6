# SPDX-License-Identifier: Apache-2.0
"""The context: one open home folder (keys, journal, team policies, jobs)."""
from __future__ import annotations

import ctypes
import os
from typing import List, NamedTuple, Optional, Union

from ._handle import (BytesLike, Handle, c_str, in_job_callback, py_str, report_or_raise, take_bytes, take_string,
                      to_bytes)
from .errors import EINVAL, InvalidArgumentError, check, constant
from .job import Job
from .journal import JournalEntry
from .native import (Actor, CtxOptions, CtxP, FetchOptions, FillOptions, JobP, JournalEntryP, PolicyP, SarOptions,
                     SarP, TemplateP, TranscribeOptions, lib)
from .policy import Policy
from .sar import SarExport
from .template import Template
from .transcript import Transcript

__all__ = ["Context", "JournalReport", "RecordHead", "OPEN_CREATE", "OPEN_NO_SYNC", "OPEN_TWO_PHASE",
           "KEYGEN_ROTATE", "KEYS_LIST", "KEYS_HOME", "TRANSCRIBE_TAKE_RECORDING", "FILL_STYLE_QUOTE",
           "FILL_STYLE_REPORTED"]

OPEN_CREATE = constant("OPEN_CREATE")
OPEN_NO_SYNC = constant("OPEN_NO_SYNC")  # tests and benchmarks ONLY: a crash may lose acknowledged saves
OPEN_TWO_PHASE = constant("OPEN_TWO_PHASE")  # two-phase saves with the host's database (save_confirm)
KEYGEN_ROTATE = constant("KEYGEN_ROTATE")
KEYS_LIST = constant("KEYS_LIST")  # keys_export: one line per key, no PEM
KEYS_HOME = constant("KEYS_HOME")  # keys_export: only the home's own keys
TRANSCRIBE_TAKE_RECORDING = constant("TRANSCRIBE_TAKE_RECORDING")
FILL_STYLE_QUOTE = constant("FILL_STYLE_QUOTE")  # fill: each speaker's words, tidied (the default)
FILL_STYLE_REPORTED = constant("FILL_STYLE_REPORTED")  # fill: "Kerry said they have agreed..."

PathLike = Union[str, "os.PathLike[str]"]


class JournalReport(NamedTuple):
    entries: int  # good entries
    report: str  # plain-English summary


class RecordHead(NamedTuple):
    version: int  # the latest version stamped, pending or not
    confirmed: int  # the last version the host confirmed (0: none)
    digest: str  # the latest version's record digest, "sha256:<hex>"


def _set(opts, **fields) -> None:
    """Fills an option struct after its _init: None keeps the library's
    default (some are pointers to the library's own strings, e.g. "xml")."""
    for name, value in fields.items():
        if value is not None:
            setattr(opts, name, value)


def _path(path: Optional[PathLike]) -> Optional[bytes]:
    return None if path is None else os.fsencode(path)


class Context(Handle):
    """One open home folder. Open one per process and share it: every method
    may be called from many threads at once. Use it as a context manager, or
    call close(); closing cancels the jobs still running and waits for them."""

    _what = "Context"
    _closable_in_callback = False

    def __init__(self, home: Optional[PathLike] = None, *, create: bool = False, no_sync: bool = False,
                 two_phase: bool = False, flags: int = 0) -> None:
        """Opens `home` (None: $CASESCRIBE_HOME, then ~/.local/share/casescribe).
        create: make the folder if missing. no_sync: skip fdatasync on the
        journal (tests only). two_phase: a version never confirmed with
        save_confirm() may be superseded by a save from the confirmed one."""
        opts = CtxOptions()
        check(lib.casescribe_ctx_options_init(ctypes.byref(opts), ctypes.sizeof(opts)))
        flags |= (OPEN_CREATE if create else 0) | (OPEN_NO_SYNC if no_sync else 0)
        _set(opts, flags=flags | (OPEN_TWO_PHASE if two_phase else 0), home=_path(home))
        ptr = CtxP()
        check(lib.casescribe_ctx_open(ctypes.byref(ptr), ctypes.byref(opts)))
        super().__init__(ptr)

    def _free(self, ptr) -> None:
        lib.casescribe_ctx_close(ptr)

    def close(self) -> None:
        """Cancels the jobs still queued or running, waits for them and for
        the calls in flight on other threads, then closes the home."""
        if in_job_callback():
            raise InvalidArgumentError(EINVAL, "EINVAL", "a Context cannot be closed from a job's on-end callback")
        super().close()

    @property
    def home(self) -> str:
        with self._use() as p:
            return py_str(lib.casescribe_ctx_home(p))

    # ---- keys ----------------------------------------------------------------
    def keygen(self, rotate: bool = False) -> str:
        """Makes the home's Ed25519 signing key; returns its key id.
        SigningKeyError when one exists and rotate is False."""
        with self._use() as p:
            key_id = ctypes.c_void_p()
            check(lib.casescribe_keygen(ctypes.byref(key_id), p, KEYGEN_ROTATE if rotate else 0))
            return take_string(key_id)

    def public_key(self) -> str:
        """The current public key (PEM), for offline verification."""
        with self._use() as p:
            pem = ctypes.c_void_p()
            check(lib.casescribe_public_key(ctypes.byref(pem), p))
            return take_string(pem)

    def keys_export(self, flags: int = 0) -> str:
        """The key registry: every key the home signed with and every key it
        trusts, as a PEM bundle with ids and validity (verify_with_public_key
        takes it); KEYS_LIST: one line per key; KEYS_HOME: the home's own
        keys only (SigningKeyError when it has none yet)."""
        with self._use() as p:
            out = ctypes.c_void_p()
            check(lib.casescribe_keys_export(ctypes.byref(out), p, flags))
            return take_string(out) or ""

    def key_trust(self, actor_id: str, pem: BytesLike) -> List[str]:
        """Trusts another server's public key(s) (a PEM, or the bundle of its
        keys_export): each new one is a "key" ledger entry naming actor_id,
        and records it signed verify here. Returns the key ids in the PEM.
        SigningKeyError for a block that is not an Ed25519 public key."""
        data = to_bytes(pem)
        with self._use() as p:
            ids = ctypes.c_void_p()
            check(lib.casescribe_key_trust(ctypes.byref(ids), p, c_str(actor_id), data, len(data)))
            return (take_string(ids) or "").split("\n")

    def jws_sign(self, payload: BytesLike) -> str:
        """Signs `payload` with the home's current key as a JSON Web Signature
        with a detached payload (RFC 7515 appendix F, alg "EdDSA"): returns
        "HEADER..SIGNATURE", the kid in HEADER naming the key. Check it with
        `jws_verify` or any JOSE library. SigningKeyError without a key,
        TooBigError over the payload limit."""
        data = to_bytes(payload)
        with self._use() as p:
            jws = ctypes.c_void_p()
            check(lib.casescribe_jws_sign(ctypes.byref(jws), p, data, len(data)))
            return take_string(jws) or ""

    # ---- save and verify -----------------------------------------------------
    def save(self, payload: BytesLike, user_id: str, *, role: Optional[str] = None, team: Optional[str] = None,
             adapter: str = "xml") -> bytes:
        """Saves one form for `user_id` and returns the stamped payload, to
        store as the record and send back (with edits) on the next save.
        Raises PolicyError, ConsentError, ReviewError, LaunderError, ... ."""
        data = to_bytes(payload)
        actor = Actor()
        check(lib.casescribe_actor_init(ctypes.byref(actor), ctypes.sizeof(actor)))
        _set(actor, user_id=c_str(user_id), role=c_str(role), team=c_str(team))
        with self._use() as p:
            out, length = ctypes.c_void_p(), ctypes.c_size_t()
            check(lib.casescribe_save(ctypes.byref(out), ctypes.byref(length), p, c_str(adapter),
                                      ctypes.byref(actor), data, len(data)))
            return take_bytes(out, length)

    def verify(self, payload: BytesLike, adapter: str = "xml") -> str:
        """Checks a stamped payload with the home's keys; returns the report.
        VerifyError (with .report saying what changed), UnstampedError, ..."""
        data = to_bytes(payload)
        with self._use() as p:
            report = ctypes.c_void_p()
            code = lib.casescribe_verify(ctypes.byref(report), p, c_str(adapter), data, len(data))
            return report_or_raise(code, report)

    def save_confirm(self, stamped: BytesLike, adapter: str = "xml") -> None:
        """Records that the host committed the stamped version `stamped`
        (what save() returned). NotFoundError when this home holds no such
        version, ConflictError when it was abandoned."""
        data = to_bytes(stamped)
        with self._use() as p:
            check(lib.casescribe_save_confirm(p, c_str(adapter), data, len(data)))

    def record_head(self, record_id: str) -> "RecordHead":
        """Where a record stands in the ledger: (version, confirmed, digest).
        NotFoundError for a record this home never saved."""
        with self._use() as p:
            version, confirmed, digest = ctypes.c_uint32(), ctypes.c_uint32(), ctypes.c_void_p()
            check(lib.casescribe_record_head(ctypes.byref(version), ctypes.byref(confirmed), ctypes.byref(digest), p,
                                             c_str(record_id)))
            return RecordHead(version.value, confirmed.value, take_string(digest) or "")

    # ---- journal -------------------------------------------------------------
    def journal_verify(self) -> JournalReport:
        """Checks every entry and the hash chain. JournalError (with .report)
        naming the first bad entry."""
        with self._use() as p:
            entries, report = ctypes.c_uint64(), ctypes.c_void_p()
            code = lib.casescribe_journal_verify(ctypes.byref(entries), ctypes.byref(report), p)
            return JournalReport(entries.value, report_or_raise(code, report))

    def journal_check(self, evidence: BytesLike, adapter: str = "xml") -> str:
        """Checks that the ledger still holds what a checkpoint (as exported)
        or a stamped record kept outside the home saw; returns the report.
        JournalError (with .report) when the ledger is shorter, disagrees or
        is another home's; VerifyError when the evidence's signature fails."""
        data = to_bytes(evidence)
        with self._use() as p:
            report = ctypes.c_void_p()
            code = lib.casescribe_journal_check(ctypes.byref(report), p, c_str(adapter), data, len(data))
            return report_or_raise(code, report)

    def checkpoint_export(self) -> str:
        """The ledger's latest signed checkpoint (a C2SP signed note), to keep
        outside the home. NotFoundError before the first commit."""
        with self._use() as p:
            text = ctypes.c_void_p()
            check(lib.casescribe_checkpoint_export(ctypes.byref(text), p))
            return take_string(text)

    @property
    def journal_truncated_bytes(self) -> int:
        """Always 0 since the ledger is a database: it counted the torn tail of the old journal file."""
        with self._use() as p:
            return lib.casescribe_journal_truncated_bytes(p)

    def journal_entry(self, seq: int) -> JournalEntry:
        """Entry number `seq` (1 is the first). NotFoundError past the end."""
        with self._use() as p:
            entry = JournalEntryP()
            check(lib.casescribe_journal_entry_get(ctypes.byref(entry), p, seq))
            return JournalEntry(entry)

    # ---- team policy -----------------------------------------------------------
    def team_policy(self, team: str) -> Policy:
        """A snapshot of the policy in force for `team`."""
        with self._use() as p:
            policy = PolicyP()
            check(lib.casescribe_team_policy(ctypes.byref(policy), p, c_str(team)))
            return Policy(policy)

    def team_set(self, actor_id: str, team: str, key: str, value: str) -> None:
        """Changes one feature ("ai-draft" -> "on") or setting of a team's
        policy, signed and journalled in the admin `actor_id`'s name."""
        with self._use() as p:
            check(lib.casescribe_team_set(p, c_str(actor_id), c_str(team), c_str(key), c_str(value)))

    def team_list(self) -> List[str]:
        """The teams that have a policy file, sorted."""
        with self._use() as p:
            out = ctypes.c_void_p()
            check(lib.casescribe_team_list(ctypes.byref(out), p))
            return (take_string(out) or "").splitlines()

    def policy_trust(self, actor_id: str, pem: BytesLike) -> None:
        """Trusts the council policy admin's Ed25519 public key for bundles."""
        data = to_bytes(pem)
        with self._use() as p:
            check(lib.casescribe_policy_trust(p, c_str(actor_id), data, len(data)))

    def policy_refresh(self, url: str, *, ca_file: Optional[PathLike] = None, max_bytes: Optional[int] = None,
                       connect_timeout_ms: Optional[int] = None, timeout_ms: Optional[int] = None) -> Job:
        """Starts a job that fetches the signed bundle at `url` (https) and applies it."""
        opts = FetchOptions()
        check(lib.casescribe_fetch_options_init(ctypes.byref(opts), ctypes.sizeof(opts)))
        _set(opts, url=c_str(url), ca_file=_path(ca_file), max_bytes=max_bytes,
             connect_timeout_ms=connect_timeout_ms, timeout_ms=timeout_ms)
        with self._use() as p:
            job = JobP()
            check(lib.casescribe_policy_refresh(ctypes.byref(job), p, ctypes.byref(opts)))
            return Job(job)

    # ---- jobs kept across a restart ----------------------------------------------
    def job_list(self) -> List[str]:
        """The ids of this home's kept jobs that no other live process holds."""
        with self._use() as p:
            out = ctypes.c_void_p()
            check(lib.casescribe_job_list(ctypes.byref(out), p))
            return (take_string(out) or "").splitlines()

    def job_list_detail(self) -> List[str]:
        """The same jobs, one line each: id, kind, state, created and updated times."""
        with self._use() as p:
            out = ctypes.c_void_p()
            check(lib.casescribe_job_list_detail(ctypes.byref(out), p))
            return (take_string(out) or "").splitlines()

    def job_attach(self, job_id: str) -> Job:
        """A handle to kept job `job_id` (run again from its input after a restart)."""
        with self._use() as p:
            job = JobP()
            check(lib.casescribe_job_attach(ctypes.byref(job), p, c_str(job_id)))
            return Job(job)

    # ---- transcription ---------------------------------------------------------
    def transcribe(self, form: BytesLike, audio_path: PathLike, *, parallel: int = 0,
                   helper_path: Optional[PathLike] = None, model_dir: Optional[PathLike] = None,
                   take_recording: bool = False, max_seconds: int = 0, unsure_permille: int = 0,
                   form_adapter: Optional[str] = None, remote_endpoint: Optional[str] = None,
                   remote_model: Optional[str] = None, api_key_file: Optional[PathLike] = None,
                   api_key_env: Optional[str] = None, ca_file: Optional[PathLike] = None,
                   tags: Optional[BytesLike] = None) -> Job:
        """Starts transcribing the recording of the visit `form` records
        (its team's policy and its subjects' consent are checked first).
        `tags`: the worker's observation tags, "hh:mm:ss label" a line
        (the policy's observation-tags must be on). Job.transcript() gives
        the result; Job.progress how far it has got. The options are copied."""
        data = to_bytes(form)
        tag_bytes = to_bytes(tags) if tags is not None else None
        opts = TranscribeOptions()
        check(lib.casescribe_transcribe_options_init(ctypes.byref(opts), ctypes.sizeof(opts)))
        _set(opts, flags=TRANSCRIBE_TAKE_RECORDING if take_recording else 0, parallel=parallel,
             max_seconds=max_seconds, unsure_permille=unsure_permille, form_adapter=c_str(form_adapter),
             form=data, form_len=len(data), audio_path=_path(audio_path), helper_path=_path(helper_path),
             model_dir=_path(model_dir), remote_endpoint=c_str(remote_endpoint), remote_model=c_str(remote_model),
             api_key_file=_path(api_key_file), api_key_env=c_str(api_key_env), ca_file=_path(ca_file),
             tags=tag_bytes, tags_len=len(tag_bytes) if tag_bytes is not None else 0)
        with self._use() as p:
            job = JobP()
            check(lib.casescribe_transcribe(ctypes.byref(job), p, ctypes.byref(opts)))
            return Job(job)

    def audio_sweep(self) -> int:
        """Deletes recordings whose retention has run out; returns how many."""
        with self._use() as p:
            deleted = ctypes.c_uint32()
            check(lib.casescribe_audio_sweep(p, ctypes.byref(deleted)))
            return deleted.value

    # ---- templates and drafting --------------------------------------------------
    def template_find(self, template_id: str) -> Template:
        """The template `template_id`, from the home's templates/ or the installed ones."""
        with self._use() as p:
            tpl = TemplateP()
            check(lib.casescribe_template_find(ctypes.byref(tpl), p, c_str(template_id)))
            return Template(tpl)

    def template_list(self) -> List[str]:
        with self._use() as p:
            out = ctypes.c_void_p()
            check(lib.casescribe_template_list(ctypes.byref(out), p))
            return (take_string(out) or "").splitlines()

    def template_install(self, xml: BytesLike) -> None:
        """Signs a template with the home's key and installs it in the home's templates/ folder."""
        data = to_bytes(xml)
        with self._use() as p:
            check(lib.casescribe_template_install(p, data, len(data)))

    def names_install(self, xml: BytesLike) -> None:
        """Signs the home's external names (names-1.xsd) with its key and installs them as names.xml."""
        data = to_bytes(xml)
        with self._use() as p:
            check(lib.casescribe_names_install(p, data, len(data)))

    def fill(self, form: BytesLike, template: Template, transcript: Transcript, *, max_sentences: int = 0,
             form_adapter: Optional[str] = None, remote_endpoint: Optional[str] = None,
             remote_model: Optional[str] = None, api_key_file: Optional[PathLike] = None,
             api_key_env: Optional[str] = None, ca_file: Optional[PathLike] = None,
             style: int = FILL_STYLE_QUOTE) -> Job:
        """Starts drafting the `draft` sections of `form` (made from
        `template`) from `transcript`. Job.draft() gives the draft form.
        style: FILL_STYLE_QUOTE (each speaker's words) or FILL_STYLE_REPORTED
        (reported speech, for the embedded filler).
        The job keeps its own references: template and transcript may be
        closed once this returns."""
        data = to_bytes(form)
        opts = FillOptions()
        check(lib.casescribe_fill_options_init(ctypes.byref(opts), ctypes.sizeof(opts)))
        _set(opts, max_sentences=max_sentences, style=style, form_adapter=c_str(form_adapter), form=data,
             form_len=len(data),
             remote_endpoint=c_str(remote_endpoint), remote_model=c_str(remote_model),
             api_key_file=_path(api_key_file), api_key_env=c_str(api_key_env), ca_file=_path(ca_file))
        with self._use() as p, template._use() as tpl, transcript._use() as tr:
            opts.form_template, opts.transcript = tpl, tr
            job = JobP()
            check(lib.casescribe_fill(ctypes.byref(job), p, ctypes.byref(opts)))
            return Job(job)

    # ---- subject access export -----------------------------------------------
    def sar_open(self, subject_id: str, output_path: PathLike, *, review_path: Optional[PathLike] = None,
                 redact_path: Optional[PathLike] = None, organisation: Optional[str] = None,
                 correction_contact: Optional[str] = None) -> SarExport:
        """Starts a subject access export for `subject_id` into the ZIP at
        `output_path`. Add each of the person's records, then finish()."""
        opts = SarOptions()
        check(lib.casescribe_sar_options_init(ctypes.byref(opts), ctypes.sizeof(opts)))
        _set(opts, subject_id=c_str(subject_id), output_path=_path(output_path), review_path=_path(review_path),
             redact_path=_path(redact_path), organisation=c_str(organisation),
             correction_contact=c_str(correction_contact))
        with self._use() as p:
            sar = SarP()
            check(lib.casescribe_sar_open(ctypes.byref(sar), p, ctypes.byref(opts)))
            return SarExport(sar, self)


def public_key_fingerprint(public_key_pem: BytesLike) -> str:
    """The SHA-256 fingerprint of a public key (PEM) as a council publishes
    it: 16 groups of four hex digits. SigningKeyError when it is not an
    Ed25519 public key."""
    pem = to_bytes(public_key_pem)
    fp = ctypes.c_void_p()
    check(lib.casescribe_public_key_fingerprint(ctypes.byref(fp), pem, len(pem)))
    return take_string(fp)


def journal_recover(home: Optional[PathLike], backup: PathLike) -> str:
    """Rebuilds a home's ledger damaged in its middle from `backup` (a copy
    of ledger.db, or a backed-up home) and the damaged ledger's entries that
    still follow it; returns the report (what came from where, what is
    lost). Stop the hosts first. NotFoundError without a backup,
    JournalError when the backup does not verify (nothing changed)."""
    report = ctypes.c_void_p()
    check(lib.casescribe_journal_recover(ctypes.byref(report), _path(home), _path(backup)))
    return take_string(report) or ""


def store_admin(home: Optional[PathLike], command: str, uri: Optional[str] = None) -> str:
    """The store a home names (its own SQLite ledger, or a shared PostgreSQL
    one): command "status", "init", "migrate", or "copy" (the home's SQLite
    ledger into the empty store `uri`). Returns the report. JournalError for
    a store of a newer schema, NetworkError when the database is unreachable."""
    report = ctypes.c_void_p()
    check(lib.casescribe_store_admin(ctypes.byref(report), _path(home), c_str(command),
                                     c_str(uri) if uri is not None else None))
    return take_string(report) or ""


def verify_with_public_key(payload: BytesLike, public_key_pem: BytesLike, adapter: str = "xml") -> str:
    """Checks a stamped payload with a public key alone (no home needed)."""
    data, pem = to_bytes(payload), to_bytes(public_key_pem)
    report = ctypes.c_void_p()
    code = lib.casescribe_verify_with_public_key(ctypes.byref(report), c_str(adapter), pem, len(pem), data, len(data))
    return report_or_raise(code, report)


def jws_verify(jws: str, payload: BytesLike, public_key_pem: BytesLike) -> bool:
    """Checks a detached JWS (from `Context.jws_sign`) against `payload` with
    a public key (PEM, from `Context.public_key`). Returns True; raises
    VerifyError when the signature does not match (or is not EdDSA),
    ParseError when `jws` is not a detached compact JWS, SigningKeyError
    when the key is not an Ed25519 public key."""
    data, pem = to_bytes(payload), to_bytes(public_key_pem)
    check(lib.casescribe_jws_verify(c_str(jws), pem, len(pem), data, len(data)))
    return True


def policy_bundle_sign(bundle: BytesLike, admin_key_path: PathLike) -> bytes:
    """Signs a council policy bundle with the admin's private key file (0600)."""
    data = to_bytes(bundle)
    out, length = ctypes.c_void_p(), ctypes.c_size_t()
    check(lib.casescribe_policy_bundle_sign(ctypes.byref(out), ctypes.byref(length), data, len(data),
                                            _path(admin_key_path)))
    return take_bytes(out, length)


__all__ += ["verify_with_public_key", "jws_verify", "policy_bundle_sign"]
