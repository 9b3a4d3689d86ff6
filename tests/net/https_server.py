#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""A small HTTPS server for the policy-refresh tests.

It serves the files of --dir with a strong ETag and answers 304 Not
Modified to a matching If-None-Match, like a real web server. A few paths
misbehave on purpose: /slow (sends nothing for a minute), /redirect (a 302
to another https URL) and any path with ?nolength (the body without a
Content-Length, so that only the client's running count can stop it).
It prints its port on the first line of stdout, and logs one line per
request ("GET /path status if-none-match") to --log.
"""
import argparse
import hashlib
import http.server
import os
import ssl
import sys
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--dir", required=True)
    ap.add_argument("--log", required=True)
    args = ap.parse_args()

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *a):
            pass

        def note(self, status):
            with open(args.log, "a") as f:
                f.write("GET %s %d %s\n" % (self.path, status, self.headers.get("If-None-Match", "-")))

        def do_GET(self):
            path, _, query = self.path.partition("?")
            if path == "/slow":
                self.note(0)
                time.sleep(60)
                return
            if path == "/redirect":
                self.note(302)
                self.send_response(302)
                self.send_header("Location", "https://127.0.0.1:1/elsewhere")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            name = os.path.join(args.dir, os.path.basename(path))
            if not os.path.isfile(name):
                self.note(404)
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            body = open(name, "rb").read()
            etag = '"%s"' % hashlib.sha256(body).hexdigest()[:32]
            if self.headers.get("If-None-Match") == etag:
                self.note(304)
                self.send_response(304)
                self.send_header("ETag", etag)
                self.end_headers()
                return
            self.note(200)
            self.send_response(200)
            self.send_header("Content-Type", "application/xml")
            self.send_header("ETag", etag)
            if query == "nolength":
                self.send_header("Connection", "close")
                self.end_headers()
                self.close_connection = True
            else:
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
            try:
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
                pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(args.cert, args.key)
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    sys.stdout.write("%d\n" % server.server_address[1])
    sys.stdout.flush()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
