# SPDX-License-Identifier: Apache-2.0
"""HTTP plumbing of the example CMS: HTML that escapes by default, request
parsing (urlencoded and multipart forms, cookies) and the headers every
response carries."""
import html
import re
import urllib.parse

SECURITY_HEADERS = [
    # No inline script or style anywhere: everything comes from /static.
    ("Content-Security-Policy",
     "default-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"),
    ("X-Frame-Options", "DENY"),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
    ("Cache-Control", "no-store"),
]


class Markup(str):
    """Text that is HTML already. render() escapes every other value."""


def esc(value):
    if isinstance(value, Markup):
        return value
    return Markup(html.escape("" if value is None else str(value), quote=True))


def render(template, **values):
    """template.format(**values) with every value HTML-escaped unless it is
    Markup. Templates are constants of this program, never user text."""
    return Markup(template.format(**{k: esc(v) for k, v in values.items()}))


def join(parts, sep=""):
    return Markup(esc(sep).join(esc(p) for p in parts))


class HttpError(Exception):
    def __init__(self, status, message):
        super().__init__(message)
        self.status, self.message = status, message


# A part's headers as browsers send them are a few hundred bytes (RFC 7578).
MAX_PART_HEADERS = 4096
_BOUNDARY = re.compile(r'boundary=(?:"([^"]{1,70})"|([^\s;"]{1,70}))', re.I)
_PARAM = re.compile(r';\s*([A-Za-z0-9_*-]+)="([^"]*)"')


class Request:
    def __init__(self, method, target, headers, client):
        try:
            url = urllib.parse.urlsplit(target)
            query = urllib.parse.parse_qs(url.query, max_num_fields=20)
        except ValueError:  # an odd target ("//[x") or too many fields
            raise HttpError(400, "The address could not be read.") from None
        self.method, self.path, self.headers, self.client = method, url.path, headers, client
        self.query = {k: v[0] for k, v in query.items()}
        # Our cookies are plain tokens. Not http.cookies: its parser is slow
        # on hostile quoted values (CVE-2024-7592) and gives up on other
        # sites' odd cookies (127.0.0.1 cookies are shared by every port).
        self.cookies = {}
        for item in headers.get("Cookie", "").split(";"):
            name, eq, value = item.strip().partition("=")
            if eq:
                self.cookies.setdefault(name, value)
        self.form, self.files = {}, {}

    def read_body(self, body):
        """The form fields (and files) of a POST body."""
        ctype = self.headers.get("Content-Type", "")
        if ctype.startswith("application/x-www-form-urlencoded"):
            try:
                self.form = urllib.parse.parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True,
                                                  max_num_fields=500)
            except ValueError:
                raise HttpError(400, "The form has too many fields.") from None
        elif ctype.startswith("multipart/form-data"):
            self._multipart(ctype, body)

    def _multipart(self, ctype, body):
        """multipart/form-data as browsers send it (RFC 7578): parts split on
        the boundary, each with a few headers, of which Content-Disposition
        names the field (and file). Not the email module: its header parser
        takes minutes, or overflows the stack, on a hostile 256 KB header."""
        m = _BOUNDARY.search(ctype)
        if not m:
            raise HttpError(400, "The form could not be read.")
        delimiter = b"\r\n--" + (m.group(1) or m.group(2)).encode("latin-1")
        pieces = (b"\r\n" + body).split(delimiter)
        for piece in pieces[1:]:  # pieces[0] is the preamble
            if piece.startswith(b"--"):
                return  # the close delimiter
            head, sep, data = piece.partition(b"\r\n\r\n")
            if not sep or len(head) > MAX_PART_HEADERS:
                raise HttpError(400, "The form could not be read.")
            params = {}
            for line in head.split(b"\r\n"):
                key, _, value = line.partition(b":")
                if key.strip().lower() == b"content-disposition":
                    params = dict(_PARAM.findall(value.decode("utf-8", "replace")))
            name = params.get("name")
            if not name:
                continue
            if "filename" in params:
                self.files[name] = (params["filename"], data)
            else:
                self.form.setdefault(name, []).append(data.decode("utf-8", "replace"))
        raise HttpError(400, "The form could not be read.")  # no close delimiter: cut short

    def field(self, name, default="", limit=10000):
        value = self.form.get(name, [default])[0]
        if len(value) > limit:
            raise HttpError(400, "A field of the form is too long.")
        return value

    def fields(self, name):
        return self.form.get(name, [])


class Response:
    def __init__(self, body=b"", status=200, content_type="text/html; charset=utf-8", headers=()):
        self.body = body.encode("utf-8") if isinstance(body, str) else body
        self.status, self.headers = status, [("Content-Type", content_type)] + list(headers)


def redirect(location, headers=()):
    return Response(b"", 303, "text/plain", [("Location", location)] + list(headers))


def cookie(name, value, max_age=None):
    """A cookie scripts cannot read, never sent by other sites' requests."""
    parts = ["%s=%s" % (name, value), "Path=/", "HttpOnly", "SameSite=Strict"]
    if max_age is not None:
        parts.append("Max-Age=%d" % max_age)
    return ("Set-Cookie", "; ".join(parts))
