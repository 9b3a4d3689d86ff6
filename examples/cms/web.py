"""HTTP plumbing of the example CMS: HTML that escapes by default, request
parsing (urlencoded and multipart forms, cookies) and the headers every
response carries."""
import email.parser
import email.policy
import html
import urllib.parse
from http.cookies import CookieError, SimpleCookie

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


class Request:
    def __init__(self, method, target, headers, client):
        url = urllib.parse.urlsplit(target)
        self.method, self.path, self.headers, self.client = method, url.path, headers, client
        self.query = {k: v[0] for k, v in urllib.parse.parse_qs(url.query, max_num_fields=20).items()}
        self.cookies = {}
        try:
            self.cookies = {k: m.value for k, m in SimpleCookie(headers.get("Cookie", "")).items()}
        except CookieError:
            pass
        self.form, self.files = {}, {}

    def read_body(self, body):
        """The form fields (and files) of a POST body."""
        ctype = self.headers.get("Content-Type", "")
        if ctype.startswith("application/x-www-form-urlencoded"):
            self.form = urllib.parse.parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True,
                                              max_num_fields=500)
        elif ctype.startswith("multipart/form-data"):
            self._multipart(ctype, body)

    def _multipart(self, ctype, body):
        # The cgi module is deprecated: the email parser reads multipart/form-data as well.
        msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            b"Content-Type: " + ctype.encode("latin-1") + b"\r\n\r\n" + body)
        if not msg.is_multipart():
            raise HttpError(400, "The form could not be read.")
        for part in msg.iter_parts():
            name = part.get_param("name", header="content-disposition")
            if not name:
                continue
            data = part.get_payload(decode=True) or b""
            filename = part.get_filename()
            if filename is not None:
                self.files[name] = (filename, data)
            else:
                self.form.setdefault(name, []).append(data.decode("utf-8", "replace"))

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
