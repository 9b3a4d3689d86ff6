# SPDX-License-Identifier: Apache-2.0
"""SQLite storage of the example CMS: teams, users, sessions, cases, the
people each case is about, their consents, visits and the stamped records.

Every query takes parameters (never string formatting), and every lookup of
a case or visit is filtered by the user's team, so another team's case is
simply "not found".
"""
import hashlib
import hmac
import os
import secrets
import sqlite3
import time

SCHEMA = """
CREATE TABLE IF NOT EXISTS teams(id TEXT PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS users(
    id TEXT PRIMARY KEY, name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('social-worker', 'admin')),
    team TEXT REFERENCES teams(id), pw_salt BLOB NOT NULL, pw_hash BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS sessions(
    token_hash TEXT PRIMARY KEY, user_id TEXT NOT NULL REFERENCES users(id),
    csrf TEXT NOT NULL, expires INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS cases(id TEXT PRIMARY KEY, team TEXT NOT NULL REFERENCES teams(id), title TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS subjects(
    case_id TEXT NOT NULL REFERENCES cases(id), id TEXT NOT NULL, role TEXT NOT NULL, name TEXT NOT NULL,
    PRIMARY KEY (case_id, id));
CREATE TABLE IF NOT EXISTS consents(
    n INTEGER PRIMARY KEY, case_id TEXT NOT NULL REFERENCES cases(id), subject_id TEXT NOT NULL,
    given_by TEXT NOT NULL, method TEXT NOT NULL, capacity TEXT NOT NULL, at TEXT NOT NULL,
    scopes TEXT NOT NULL, withdrawn_at TEXT, recorded_by TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS visits(
    id INTEGER PRIMARY KEY, case_id TEXT NOT NULL REFERENCES cases(id), record_id TEXT UNIQUE,
    template TEXT NOT NULL, state TEXT NOT NULL, message TEXT,
    transcript_xml BLOB, transcript_text TEXT, draft_xml BLOB, draft_summary TEXT,
    created_by TEXT NOT NULL, created_at TEXT NOT NULL, job_server TEXT);
-- The stamped payloads casescribe_save returned: each is the record, and
-- the next save sends the latest one back with the changes (the library
-- chains versions through its provenance).
CREATE TABLE IF NOT EXISTS records(
    visit_id INTEGER NOT NULL REFERENCES visits(id), version INTEGER NOT NULL, final INTEGER NOT NULL,
    payload BLOB NOT NULL, saved_by TEXT NOT NULL, saved_at TEXT NOT NULL,
    PRIMARY KEY (visit_id, version));
"""

SESSION_SECONDS = 8 * 3600


def connect(path):
    db = sqlite3.connect(path, timeout=10)
    db.row_factory = sqlite3.Row
    db.execute("PRAGMA foreign_keys = ON")
    db.execute("PRAGMA journal_mode = WAL")  # readers do not wait for the writer
    return db


def create(path):
    # Names, transcripts and records: readable by this user only, like the
    # library's home (SQLite gives the -wal and -shm files the same mode).
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    with connect(path) as db:
        db.executescript(SCHEMA)
        # A database made before instances shared it: which one runs a visit's job.
        if "job_server" not in {row["name"] for row in db.execute("PRAGMA table_info(visits)")}:
            db.execute("ALTER TABLE visits ADD COLUMN job_server TEXT")


def now_utc():
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


# ---- passwords and sessions --------------------------------------------------

def _scrypt(password, salt):
    return hashlib.scrypt(password.encode("utf-8"), salt=salt, n=2 ** 14, r=8, p=1, dklen=32)


_DUMMY_SALT = secrets.token_bytes(16)


def add_user(db, user_id, name, role, team, password):
    salt = secrets.token_bytes(16)
    db.execute("INSERT INTO users(id, name, role, team, pw_salt, pw_hash) VALUES (?, ?, ?, ?, ?, ?)",
               (user_id, name, role, team, salt, _scrypt(password, salt)))


def check_password(db, user_id, password):
    """The user row when the password is right, else None. An unknown user
    costs the same scrypt, so timing does not tell which users exist."""
    row = db.execute("SELECT * FROM users WHERE id = ?", (user_id,)).fetchone()
    digest = _scrypt(password, row["pw_salt"] if row else _DUMMY_SALT)
    return row if row is not None and hmac.compare_digest(digest, row["pw_hash"]) else None


def _token_hash(token):
    # Only the hash is stored: a copy of the database does not hold live cookies.
    return hashlib.sha256(token.encode()).hexdigest()


def new_session(db, user_id):
    """A fresh random token for the cookie (and its own CSRF token)."""
    token = secrets.token_urlsafe(32)
    db.execute("DELETE FROM sessions WHERE expires < ?", (int(time.time()),))
    db.execute("INSERT INTO sessions(token_hash, user_id, csrf, expires) VALUES (?, ?, ?, ?)",
               (_token_hash(token), user_id, secrets.token_urlsafe(32), int(time.time()) + SESSION_SECONDS))
    return token


def session_user(db, token):
    """(user row, csrf token) of a live session, else (None, None)."""
    if not token or len(token) > 100:
        return None, None
    row = db.execute("SELECT u.*, s.csrf FROM sessions s JOIN users u ON u.id = s.user_id "
                     "WHERE s.token_hash = ? AND s.expires >= ?", (_token_hash(token), int(time.time()))).fetchone()
    return (row, row["csrf"]) if row else (None, None)


def end_session(db, token):
    if token:
        db.execute("DELETE FROM sessions WHERE token_hash = ?", (_token_hash(token),))


# ---- cases, always through the user's team ------------------------------------

def cases_of(db, user):
    return db.execute("SELECT c.*, (SELECT count(*) FROM visits v WHERE v.case_id = c.id) AS visits "
                      "FROM cases c WHERE c.team = ? ORDER BY c.id", (user["team"],)).fetchall()


def case_of(db, user, case_id):
    """The case, or None when it does not exist or belongs to another team."""
    return db.execute("SELECT * FROM cases WHERE id = ? AND team = ?", (case_id, user["team"])).fetchone()


def visit_of(db, user, visit_id):
    return db.execute("SELECT v.*, c.team, c.title FROM visits v JOIN cases c ON c.id = v.case_id "
                      "WHERE v.id = ? AND c.team = ?", (visit_id, user["team"])).fetchone()


def subjects(db, case_id):
    return db.execute("SELECT * FROM subjects WHERE case_id = ? ORDER BY rowid", (case_id,)).fetchall()


def consents(db, case_id):
    return db.execute("SELECT * FROM consents WHERE case_id = ? ORDER BY n", (case_id,)).fetchall()


def consent_in_force(db, case_id):
    """subject id -> (set of scopes, why not) of the consent in force now, as
    the library judges it: the latest consent given, unless withdrawn, and
    never a person's own consent when they lack capacity."""
    state = {}
    for c in consents(db, case_id):
        if c["given_by"] == "self" and c["capacity"] == "lacks-capacity":
            state[c["subject_id"]] = (set(), "consent given by a person who lacks capacity does not count")
        elif c["withdrawn_at"]:
            state[c["subject_id"]] = (set(), "consent withdrawn on " + c["withdrawn_at"])
        else:
            state[c["subject_id"]] = (set(c["scopes"].split()), None)
    return state


def visits(db, case_id):
    return db.execute("SELECT v.*, (SELECT max(version) FROM records r WHERE r.visit_id = v.id) AS version, "
                      "(SELECT max(final) FROM records r WHERE r.visit_id = v.id) AS final "
                      "FROM visits v WHERE v.case_id = ? ORDER BY v.id", (case_id,)).fetchall()


def new_visit(db, case_id, template, state, user_id):
    cur = db.execute("INSERT INTO visits(case_id, template, state, created_by, created_at) VALUES (?, ?, ?, ?, ?)",
                     (case_id, template, state, user_id, now_utc()))
    visit_id = cur.lastrowid
    db.execute("UPDATE visits SET record_id = ? WHERE id = ?", ("R-%s-%d" % (case_id, visit_id), visit_id))
    return visit_id


def records(db, visit_id):
    return db.execute("SELECT * FROM records WHERE visit_id = ? ORDER BY version", (visit_id,)).fetchall()


def latest_record(db, visit_id):
    return db.execute("SELECT * FROM records WHERE visit_id = ? ORDER BY version DESC LIMIT 1",
                      (visit_id,)).fetchone()


def sar_subjects(db, user):
    """The people a user may export records of: those of their team's cases
    (an admin: everyone's)."""
    sql = "SELECT DISTINCT s.id, s.name FROM subjects s JOIN cases c ON c.id = s.case_id"
    if user["role"] == "admin":
        return db.execute(sql + " ORDER BY s.id").fetchall()
    return db.execute(sql + " WHERE c.team = ? ORDER BY s.id", (user["team"],)).fetchall()


def sar_payloads(db, user, subject_id):
    """The latest stamped version of every record of the cases that person
    is on, within what the user may see."""
    sql = ("SELECT r.payload FROM records r JOIN visits v ON v.id = r.visit_id JOIN cases c ON c.id = v.case_id "
           "JOIN subjects s ON s.case_id = c.id AND s.id = ? "
           "WHERE r.version = (SELECT max(version) FROM records x WHERE x.visit_id = r.visit_id)")
    if user["role"] == "admin":
        return [row[0] for row in db.execute(sql + " ORDER BY v.id", (subject_id,))]
    return [row[0] for row in db.execute(sql + " AND c.team = ? ORDER BY v.id", (subject_id, user["team"]))]
