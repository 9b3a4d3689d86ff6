#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The example case management system: a small web application on top of
CaseScribe's Python binding. Standard library only.

    python3 examples/cms/cms.py --home /tmp/cms-home --db /tmp/cms.db --demo

--demo fills an empty database with two teams, their cases, a worker in
each and an admin, prints their passwords, and makes the home's signing
key. It serves on 127.0.0.1 only (--port, 0 for any free port; the line
"serving on http://..." says which).

The library is found as the binding finds it ($CS_LIB, else the dynamic
linker); when neither has it, the build tree this file sits in is used.
"""
import argparse
import ctypes.util
import importlib.util
import logging
import os
import secrets
import signal
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.dont_write_bytecode = True  # run from the source tree without leaving __pycache__ there
HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
STATIC = {"/static/cms.css": ("cms.css", "text/css; charset=utf-8")}


def use_build_tree():
    """Run from a built source tree without `make install`: its binding,
    library, recognition helper and templates, unless the environment names
    others."""
    if importlib.util.find_spec("casescribe") is None:
        sys.path.insert(0, os.path.join(TOP, "ffi", "python"))
    lib = os.path.join(TOP, "plugin", ".libs", "libcasescribe.so")
    if not os.environ.get("CS_LIB") and not ctypes.util.find_library("casescribe") and os.path.exists(lib):
        os.environ["CS_LIB"] = lib
        if os.path.exists(os.path.join(TOP, "casescribe-asr")):
            os.environ.setdefault("CS_ASR", os.path.join(TOP, "casescribe-asr"))
        os.environ.setdefault("CASESCRIBE_TEMPLATE_DIR", os.path.join(TOP, "plugin", "templates"))
        print("using the build tree's library: %s" % lib, flush=True)


use_build_tree()
import casescribe  # noqa: E402

import store  # noqa: E402
from app import App  # noqa: E402
from web import SECURITY_HEADERS, HttpError, Request, Response  # noqa: E402

log = logging.getLogger("cms")

DEMO_TEAMS = [("north", "Children in need, North"), ("south", "Children in need, South")]
DEMO_USERS = [("north-worker", "Ann Patel", "social-worker", "north"),
              ("south-worker", "Sam Okoro", "social-worker", "south"),
              ("admin", "Alex Admin", "admin", None)]
DEMO_CASES = [
    ("N-1001", "north", "Mia Thompson, statutory visits",
     [("C-1001", "child", "Mia Thompson"), ("P-1001", "mother", "Kerry Thompson")]),
    ("N-1002", "north", "Leo Grant, child in need", [("C-1002", "child", "Leo Grant")]),
    ("S-2001", "south", "Ava Shah, child protection plan",
     [("C-2001", "child", "Ava Shah"), ("P-2001", "father", "Ravi Shah")]),
]


def seed(db_path, ctx):
    """Demo data in an empty database; prints the demo users' passwords."""
    with store.connect(db_path) as db:
        if db.execute("SELECT count(*) FROM users").fetchone()[0]:
            print("demo data is there already (passwords were printed when it was made)", flush=True)
            return
        db.executemany("INSERT INTO teams(id, name) VALUES (?, ?)", DEMO_TEAMS)
        for case_id, team, title, people in DEMO_CASES:
            db.execute("INSERT INTO cases(id, team, title) VALUES (?, ?, ?)", (case_id, team, title))
            db.executemany("INSERT INTO subjects(case_id, id, role, name) VALUES (?, ?, ?, ?)",
                           [(case_id,) + p for p in people])
        passwords = {}
        for user_id, name, role, team in DEMO_USERS:
            passwords[user_id] = secrets.token_urlsafe(12)
            store.add_user(db, user_id, name, role, team, passwords[user_id])
    # Team North may record, transcribe and draft; South starts with every AI feature off.
    for feature in ("transcription", "ai-draft"):
        ctx.team_set("admin", "north", feature, "on")
    for user_id, name, role, team in DEMO_USERS:
        print("demo user %-13s password %s  (%s%s)" % (user_id, passwords[user_id], role,
                                                       ", team " + team if team else ""), flush=True)


class Handler(BaseHTTPRequestHandler):
    server_version = "CaseScribeCMS"
    timeout = 60  # a client that stops sending does not hold a thread for ever

    def version_string(self):
        return self.server_version  # no Python version in the Server header

    def do_GET(self):
        self.serve("GET")

    def do_POST(self):
        self.serve("POST")

    def serve(self, method):
        app = self.server.app
        try:
            # Only our own names: a page of another site resolving its name to 127.0.0.1 is refused.
            if self.headers.get("Host") not in self.server.hosts:
                raise HttpError(400, "Unknown host name.")
            path = self.path.split("?")[0]
            if method == "GET" and path in STATIC:
                name, ctype = STATIC[path]
                with open(os.path.join(HERE, "static", name), "rb") as f:
                    return self.send(Response(f.read(), 200, ctype))
            req = Request(method, self.path, self.headers, self.client_address[0])
            if method == "POST":
                length, limit = self.headers.get("Content-Length", ""), app.body_limit(req)
                if not (length.isascii() and length.isdigit() and len(length) <= 12):  # not "²", nor 5000 digits
                    raise HttpError(411, "The request has no length.")
                if int(length) > limit:
                    self.close_connection = True
                    raise HttpError(413, "Too large: up to %s." % (
                        "%d MB" % (limit >> 20) if limit >= 1 << 20 else "%d KB" % (limit >> 10)))
                req.read_body(self.rfile.read(int(length)))
            response = app.handle(req)
        except HttpError as e:
            response = app.error_page(None, e.status, e.message)
        except Exception:  # noqa: BLE001 - the worker sees a page, the log has the details
            log.exception("%s %s failed", method, self.path)
            response = app.error_page(None, 500, "Something went wrong on the server. Nothing was saved.")
        self.send(response)

    def send(self, response):
        try:
            self.send_response(response.status)
            for name, value in SECURITY_HEADERS + response.headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(response.body)))
            self.end_headers()
            self.wfile.write(response.body)
        except ConnectionError:
            self.close_connection = True  # the browser went away (a cancelled request): nothing to do


def main():
    parser = argparse.ArgumentParser(description="CaseScribe example case management system")
    parser.add_argument("--home", required=True, help="the CaseScribe home folder (made if missing)")
    parser.add_argument("--db", required=True, help="the SQLite database file (made if missing); instances "
                        "sharing one ledger on PostgreSQL share this file too")
    parser.add_argument("--port", type=int, default=8080, help="port on 127.0.0.1 (0: any free port)")
    parser.add_argument("--instance", help="this instance's name, when several share the database (default: "
                        "127.0.0.1:PORT); a visit's jobs are collected by the instance that started them")
    parser.add_argument("--demo", action="store_true", help="fill an empty database with demo data")
    parser.add_argument("--asr-helper", default=os.environ.get("CS_ASR"),
                        help="the recognition helper (default $CS_ASR, else the library's installed one)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")

    store.create(args.db)
    uploads = os.path.join(args.home, "cms-uploads")
    with casescribe.Context(args.home, create=True) as ctx:
        os.makedirs(uploads, mode=0o700, exist_ok=True)
        try:
            print("made the home's signing key", ctx.keygen(), flush=True)
        except casescribe.SigningKeyError:
            pass  # it has one already
        if args.demo:
            seed(args.db, ctx)
        server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
        server.daemon_threads = True
        port = server.server_address[1]
        server.hosts = {"127.0.0.1:%d" % port, "localhost:%d" % port}
        name = args.instance or "127.0.0.1:%d" % port
        server.app = App(ctx, args.db, uploads, args.asr_helper, server_name=name)
        signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
        print("serving on http://127.0.0.1:%d/ (instance %s, home %s, database %s)" % (port, name, args.home, args.db),
              flush=True)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        server.server_close()
    # Leaving the with-block closes the context: jobs still running are cancelled.


if __name__ == "__main__":
    main()
