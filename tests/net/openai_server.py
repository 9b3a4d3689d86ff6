#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""A stand-in for an OpenAI-compatible speech-to-text service, for the
remote-engine tests: POST {base}/audio/transcriptions with multipart
form-data, answered in verbose_json.

The base path chooses the answer's shape or a misbehaviour:
  /v1            OpenAI style: top-level "words" with start/end, and segments
  /whisper/v1    whisper.cpp style: words inside segments, with probability
  /text/v1       only "text"
  /big/v1        an answer of 5 MB
  /badjson/v1    not JSON
  /badword/v1    a word with a control character
  /redirect/v1   a 302 elsewhere
With --api-key, any request without "Authorization: Bearer KEY" gets 401.
Serves HTTPS with --cert/--key, else plain HTTP on 127.0.0.1. Prints its
port first; logs one JSON line per request to --log (never the key).
"""
import argparse
import email.parser
import email.policy
import http.server
import json
import ssl
import sys


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--api-key")
    ap.add_argument("--log", required=True)
    args = ap.parse_args()

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *a):
            pass

        def answer(self, status, body, ctype="application/json", extra=None):
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            for k, v in (extra or {}).items():
                self.send_header(k, v)
            self.end_headers()
            try:
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
                pass  # the client stopped reading: a size limit at work

        def do_POST(self):
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            msg = email.parser.BytesParser(policy=email.policy.default).parsebytes(
                b"Content-Type: " + self.headers.get("Content-Type", "").encode() + b"\r\n\r\n" + body)
            fields, audio = {}, b""
            for part in msg.iter_parts() if msg.is_multipart() else []:
                name = part.get_param("name", header="content-disposition")
                data = part.get_payload(decode=True) or b""
                if name == "file":
                    audio = data
                else:
                    fields.setdefault(name, []).append(data.decode())
            auth_ok = args.api_key is None or self.headers.get("Authorization") == "Bearer " + args.api_key
            with open(args.log, "a") as f:
                f.write(json.dumps({"path": self.path, "auth_ok": auth_ok, "fields": fields,
                                    "audio_bytes": len(audio), "audio_magic": audio[:4].decode("latin-1")}) + "\n")
            if not auth_ok:
                return self.answer(401, b'{"error":{"message":"bad key"}}')
            if not self.path.endswith("/v1/audio/transcriptions"):
                return self.answer(404, b"{}")
            base = self.path[: -len("/v1/audio/transcriptions")]
            seconds = max(0.0, (len(audio) - 44) / 32000.0)
            words = [{"word": "hello", "start": 0.10, "end": 0.40, "probability": 0.95},
                     {"word": "world", "start": 0.50, "end": min(0.90, seconds), "probability": 0.35}]
            if base == "/redirect":
                return self.answer(302, b"", extra={"Location": "https://example.org/"})
            if base == "/badjson":
                return self.answer(200, b"this is not json")
            if base == "/big":
                return self.answer(200, b'{"text":"' + b"a" * (5 * 1024 * 1024) + b'"}')
            if base == "/badword":
                words[0]["word"] = "hel\u0007lo"
            if base == "/whisper":
                out = {"text": "hello world", "segments": [{"start": 0.0, "end": seconds, "text": "hello world",
                                                             "words": words}]}
            elif base == "/text":
                out = {"text": "hello world"}
            else:
                out = {"text": "hello world", "words": [{k: w[k] for k in ("word", "start", "end")} for w in words],
                       "segments": [{"start": 0.0, "end": seconds, "text": "hello world"}]}
            self.answer(200, json.dumps(out).encode())

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    if args.cert:
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
