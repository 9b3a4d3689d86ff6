# SPDX-License-Identifier: Apache-2.0
"""Pages and actions of the example CMS. Every save goes through
casescribe_save (Context.save, adapter "xml"); transcription and drafting
run as library jobs that the pages look in on, never inside a request."""
import hmac
import os
import re
import secrets
import shutil
import tempfile
import threading
import time

import casescribe

import forms
import store
from web import HttpError, Markup, Response, cookie, join, redirect, render

FEATURES = ("transcription", "ai-draft", "external-ai", "observation-tags")
SCOPES = [("record-audio", "Recording the visit"),
          ("transcribe", "Turning the recording into text by a computer program on the council's machine"),
          ("ai-draft", "A computer program drafting parts of the record, which the worker checks"),
          ("external-ai", "Using an AI service outside the council")]
NEEDS = {"transcription": {"record-audio", "transcribe"}, "ai-draft": {"ai-draft"}}
DEFAULT_TEMPLATE = "statutory-home-visit"
AUDIO_SUFFIXES = (".wav", ".flac", ".ogg", ".opus", ".mp3")
MAX_AUDIO = 20 * 1024 * 1024
MAX_FORM = 256 * 1024
SESSION_COOKIE, LOGIN_COOKIE = "cms_session", "cms_login"
# Failed logins allowed per user name, and per address (on 127.0.0.1 every
# browser shares one address, so that limit is higher), in a window.
USER_TRIES, ADDRESS_TRIES, LOGIN_WINDOW = 5, 20, 15 * 60
CASE = r"([A-Za-z0-9-]{1,40})"
VISIT = r"(\d{1,9})"

# (method, path, handler, who may: None anyone, "user", "worker", "admin")
ROUTES = [
    ("GET", r"/", "home", None),
    ("GET", r"/login", "login_page", None),
    ("POST", r"/login", "login", None),
    ("POST", r"/logout", "logout", "user"),
    ("GET", r"/cases", "case_list", "worker"),
    ("GET", r"/cases/" + CASE, "case_page", "worker"),
    ("POST", r"/cases/" + CASE + "/consent", "record_consent", "worker"),
    ("POST", r"/cases/" + CASE + "/withdraw", "withdraw_consent", "worker"),
    ("POST", r"/cases/" + CASE + "/visits", "new_visit", "worker"),
    ("GET", r"/visits/" + VISIT, "visit_page", "worker"),
    ("POST", r"/visits/" + VISIT + "/draft", "start_draft", "worker"),
    ("POST", r"/visits/" + VISIT + "/save", "save", "worker"),
    ("GET", r"/visits/" + VISIT + "/verify", "verify", "worker"),
    ("GET", r"/sar", "sar_page", "user"),
    ("POST", r"/sar", "sar_export", "user"),
    ("GET", r"/admin", "admin_page", "admin"),
    ("POST", r"/admin/features", "set_feature", "admin"),
]

PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} - CaseScribe example CMS</title>
<link rel="stylesheet" href="/static/cms.css">
</head>
<body>
<a class="skip" href="#main">Skip to the main content</a>
<header><p class="brand">CaseScribe example CMS</p>{nav}</header>
<main id="main">
<h1>{title}</h1>
{body}
</main>
</body>
</html>
"""

# What the library's refusals mean for the worker; its own message follows.
REFUSALS = {
    "EREVIEW": "Not saved as final: parts drafted by AI must be reviewed by you first.",
    "ECONSENT": "Not saved: the consent recorded on this case does not cover AI-made text.",
    "EPOLICY": "Not saved: the team's AI policy does not allow this.",
    "ELAUNDER": "Not saved: text drafted by AI cannot be marked as written by you.",
    "ECONFLICT": "Not saved: someone saved this record in the meantime. Reload it and apply your changes again.",
}
SAVED = {"draft": "Saved version {v} as a draft.", "final": "Saved version {v} as the final record."}


def hidden_csrf(req):
    return render('<input type="hidden" name="csrf" value="{t}">', t=req.csrf)


def ms(t):
    t = int(t) // 1000
    return "%d:%02d" % (t // 60, t % 60)


class App:
    def __init__(self, ctx, db_path, uploads, asr_helper=None, organisation="Example Council (demo)",
                 server_name="cms"):
        self.ctx, self.db_path, self.uploads, self.asr = ctx, db_path, uploads, asr_helper
        # Instances sharing one database: a job runs in the instance that started it (visits.job_server).
        self.organisation, self.server_name = organisation, server_name
        self.jobs = {}  # visit id -> library Job running for it
        self.jobs_lock = threading.Lock()
        self.collect_lock = threading.Lock()  # one request at a time takes a job's result
        self.failures = {}  # login rate limit: key -> times of failed tries
        self.fail_lock = threading.Lock()
        self.templates = {}  # id -> (title, sections); templates never change
        # Recordings and exports an earlier run left here (its jobs were
        # cancelled when it stopped, and give the recording back) belong to
        # no job now: personal data not to keep.
        for name in os.listdir(uploads):
            if name.startswith("visit-"):
                os.unlink(os.path.join(uploads, name))
            elif name.startswith("sar-"):
                shutil.rmtree(os.path.join(uploads, name), ignore_errors=True)

    # ---- dispatch ------------------------------------------------------------
    def body_limit(self, req):
        """How much of a POST body is read: a recording only from a logged-in user."""
        if not re.fullmatch(r"/cases/" + CASE + "/visits", req.path):
            return MAX_FORM
        db = store.connect(self.db_path)
        try:
            return MAX_AUDIO if store.session_user(db, req.cookies.get(SESSION_COOKIE))[0] else MAX_FORM
        finally:
            db.close()

    def handle(self, req):
        db = store.connect(self.db_path)
        try:
            req.user, req.csrf = store.session_user(db, req.cookies.get(SESSION_COOKIE))
            allowed = [r for r in ROUTES if re.fullmatch(r[1], req.path)]
            route = next((r for r in allowed if r[0] == req.method), None)
            if route is None:
                raise HttpError(405 if allowed else 404, "There is no such page.")
            _, pattern, name, who = route
            if who and req.user is None:
                if req.method == "GET":
                    return redirect("/login")
                raise HttpError(403, "Log in first.")
            if who == "worker" and req.user["role"] != "social-worker":
                raise HttpError(403, "Only social workers can open cases.")
            if who == "admin" and req.user["role"] != "admin":
                raise HttpError(403, "Only an admin can change team features.")
            # Every POST but the login (which has its own token) needs the session's CSRF token.
            if req.method == "POST" and name != "login" and not hmac.compare_digest(
                    req.field("csrf", limit=100).encode(), (req.csrf or "").encode()):
                raise HttpError(403, "The form has expired or did not come from this site. Go back, reload the "
                                     "page and try again.")
            with db:  # one transaction per request
                return getattr(self, name)(db, req, *re.fullmatch(pattern, req.path).groups())
        except HttpError as e:
            return self.error_page(req, e.status, e.message)
        finally:
            db.close()

    # ---- pages ---------------------------------------------------------------
    def page(self, req, title, body, status=200, headers=()):
        nav = Markup("")
        user = getattr(req, "user", None) if req is not None else None
        if user is not None:
            links = [("/cases", "Cases")] if user["role"] == "social-worker" else [("/admin", "Team features")]
            links.append(("/sar", "Subject access"))
            nav = render('<nav aria-label="Main"><ul>{links}<li><form method="post" action="/logout">{csrf}'
                         '<button type="submit" class="link">Log out {name}</button></form></li></ul></nav>',
                         links=join(render('<li><a href="{h}">{t}</a></li>', h=h, t=t) for h, t in links),
                         csrf=hidden_csrf(req), name=user["id"])
        return Response(render(PAGE, title=title, nav=nav, body=body), status, headers=headers)

    def error_page(self, req, status, message):
        titles = {400: "Bad request", 403: "Not allowed", 404: "Not found", 405: "Not allowed", 409: "Not now",
                  411: "Bad request", 413: "Too large", 429: "Too many tries"}
        body = render('<p class="error" role="alert" id="error">{m}</p><p><a href="/">Back to the start</a></p>',
                      m=message)
        return self.page(req, titles.get(status, "Something went wrong"), body, status)

    def home(self, db, req):
        if req.user is None:
            return redirect("/login")
        return redirect("/admin" if req.user["role"] == "admin" else "/cases")

    # ---- login ---------------------------------------------------------------
    def login_page(self, db, req, error=None, status=200):
        if req.user is not None and error is None:
            return self.home(db, req)
        # No session yet: the login form's CSRF token is a cookie it must match.
        token = secrets.token_urlsafe(24)
        body = render('{error}<form method="post" action="/login" class="card">'
                      '<input type="hidden" name="login_csrf" value="{token}">'
                      '<p><label for="username">User name</label>'
                      '<input id="username" name="username" autocomplete="username" maxlength="64" required></p>'
                      '<p><label for="password">Password</label><input id="password" name="password" '
                      'type="password" autocomplete="current-password" maxlength="256" required></p>'
                      '<p><button type="submit">Log in</button></p></form>',
                      token=token, error=render('<p class="error" role="alert" id="error">{e}</p>', e=error)
                      if error else "")
        return self.page(req, "Log in", body, status, [cookie(LOGIN_COOKIE, token, 3600)])

    def _too_many(self, keys):
        """Whether the address (keys[0]) or the user name (keys[1]) failed too often lately."""
        now = time.monotonic()
        with self.fail_lock:
            for key in keys:
                recent = [t for t in self.failures.pop(key, []) if now - t < LOGIN_WINDOW]
                if recent:  # keys with no recent failure are dropped: the table stays small
                    self.failures[key] = recent
            return (len(self.failures.get(keys[0], [])) >= ADDRESS_TRIES or
                    len(self.failures.get(keys[1], [])) >= USER_TRIES)

    def login(self, db, req):
        token = req.cookies.get(LOGIN_COOKIE, "")
        if not token or not hmac.compare_digest(token.encode(), req.field("login_csrf", limit=100).encode()):
            raise HttpError(403, "The login form has expired. Reload the page and try again.")
        username, password = req.field("username", limit=1000), req.field("password", limit=1000)
        keys = ("ip:" + req.client, "user:" + username.lower()[:64])
        if self._too_many(keys):
            return self.login_page(db, req, "Too many failed tries: wait 15 minutes and try again.", 429)
        user = None
        if 0 < len(username) <= 64 and 0 < len(password) <= 256:
            user = store.check_password(db, username, password)
        if user is None:
            with self.fail_lock:
                for key in keys:
                    self.failures.setdefault(key, []).append(time.monotonic())
            return self.login_page(db, req, "The user name or password is not right.", 401)
        with self.fail_lock:
            self.failures.pop(keys[1], None)
        # A new session id at every login: a token planted before it is worthless.
        store.end_session(db, req.cookies.get(SESSION_COOKIE))
        session = store.new_session(db, user["id"])
        return redirect("/admin" if user["role"] == "admin" else "/cases",
                        [cookie(SESSION_COOKIE, session), cookie(LOGIN_COOKIE, "", 0)])

    def logout(self, db, req):
        store.end_session(db, req.cookies.get(SESSION_COOKIE))
        return redirect("/login", [cookie(SESSION_COOKIE, "", 0)])

    # ---- cases ---------------------------------------------------------------
    def case_of(self, db, req, case_id):
        case = store.case_of(db, req.user, case_id)
        if case is None:  # another team's case looks exactly like a missing one
            raise HttpError(404, "There is no such case in your team's case list.")
        return case

    def case_list(self, db, req):
        rows = [render('<tr><td><a href="/cases/{id}">{id}</a></td><td>{title}</td><td>{people}</td>'
                       '<td>{visits}</td></tr>', id=c["id"], title=c["title"], visits=c["visits"],
                       people=", ".join(s["name"] for s in store.subjects(db, c["id"])))
                for c in store.cases_of(db, req.user)]
        team = db.execute("SELECT name FROM teams WHERE id = ?", (req.user["team"],)).fetchone()
        body = render('<p>The cases of your team, {team}.</p><table id="cases"><caption>Cases</caption><thead><tr>'
                      '<th scope="col">Case</th><th scope="col">About</th><th scope="col">People</th>'
                      '<th scope="col">Visit records</th></tr></thead><tbody>{rows}</tbody></table>',
                      team=team["name"], rows=join(rows))
        return self.page(req, "Your team's cases", body)

    def ai_allowed(self, db, case, feature):
        """(True, None), or (False, why): whether the team's policy and the
        consent of every person on the case allow a job. The library checks
        the same again and fails closed; this only keeps the buttons honest."""
        with self.ctx.team_policy(case["team"]) as policy:
            if not policy.feature(feature):
                return False, "team %s's policy has %s switched off (an admin can switch it on)" % (
                    case["team"], feature)
        state = store.consent_in_force(db, case["id"])
        missing = []
        for s in store.subjects(db, case["id"]):
            scopes, why = state.get(s["id"], (set(), "no consent recorded"))
            lacking = NEEDS[feature] - scopes
            if lacking:
                missing.append("%s: %s" % (s["name"], why or "no consent to " + " and ".join(sorted(lacking))))
        return (False, "consent is missing (" + "; ".join(missing) + ")") if missing else (True, None)

    def case_page(self, db, req, case_id, error=None, status=200):
        case = self.case_of(db, req, case_id)
        people = store.subjects(db, case_id)
        in_force = store.consent_in_force(db, case_id)
        csrf = hidden_csrf(req)
        parts = []
        if error:
            parts.append(render('<p class="error" role="alert" id="error">{e}</p>', e=error))
        elif req.query.get("consent"):
            parts.append(Markup('<p class="ok" role="status" id="flash">Consent recorded.</p>'))

        rows = []
        for s in people:
            scopes, why = in_force.get(s["id"], (set(), "no consent recorded"))
            state = why or "given for: " + ", ".join(sorted(scopes) or ["nothing"])
            withdraw = render('<form method="post" action="/cases/{c}/withdraw">{csrf}'
                              '<input type="hidden" name="subject" value="{s}"><button type="submit" class="small">'
                              'Record withdrawal<span class="visually-hidden"> for {n}</span></button></form>',
                              c=case_id, csrf=csrf, s=s["id"], n=s["name"]) if scopes else ""
            rows.append(render('<tr><td>{name}</td><td>{role}</td><td>{state}</td><td>{w}</td></tr>',
                               name=s["name"], role=s["role"], state=state, w=withdraw))
        parts.append(render(
            '<h2>People and their consent</h2><table id="people"><caption>People this case is about</caption>'
            '<thead><tr><th scope="col">Person</th><th scope="col">Role</th><th scope="col">Consent in force</th>'
            '<th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead><tbody>{rows}</tbody>'
            '</table>', rows=join(rows)))
        parts.append(render(
            '<form method="post" action="/cases/{c}/consent" class="card" id="consent-form">{csrf}'
            '<h3>Record consent</h3><p><label for="subject">Person</label><select id="subject" name="subject">'
            '{people}</select></p>'
            '<fieldset><legend>Given by</legend>{given}</fieldset>'
            '<p><label for="method">How it was given</label><select id="method" name="method">'
            '<option value="verbal">Said out loud</option><option value="written">In writing</option>'
            '<option value="recorded">On the recording</option></select></p>'
            '<p><label for="capacity">Capacity to consent</label><select id="capacity" name="capacity">'
            '<option value="has-capacity">Has capacity</option><option value="not-assessed">Not assessed</option>'
            '<option value="lacks-capacity">Lacks capacity</option></select></p>'
            '<fieldset><legend>What they agreed to</legend>{scopes}</fieldset>'
            '<p><button type="submit">Record consent</button></p></form>',
            c=case_id, csrf=csrf,
            people=join(render('<option value="{i}">{n} ({r})</option>', i=s["id"], n=s["name"], r=s["role"])
                        for s in people),
            given=join(render('<label class="choice"><input type="radio" name="given_by" value="{v}"{chk}> {t}'
                              '</label>', v=v, t=t, chk=Markup(" checked") if v == "self" else "")
                       for v, t in (("self", "The person themselves"), ("representative", "Their representative"),
                                    ("best-interests", "A best-interests decision"))),
            scopes=join(render('<label class="choice"><input type="checkbox" name="scope" value="{v}"> {t}</label>',
                               v=v, t=t) for v, t in SCOPES)))

        transcription = self.ai_allowed(db, case, "transcription")
        drafting = self.ai_allowed(db, case, "ai-draft")
        parts.append(render('<h2>AI on this case</h2><ul id="ai-state"><li>Recording and transcription: {t}</li>'
                            '<li>Drafting by AI: {d}</li></ul>',
                            t="available" if transcription[0] else "not available: " + transcription[1],
                            d="available" if drafting[0] else "not available: " + drafting[1]))

        visits = [render('<li><a href="/visits/{id}">Visit record {rid}</a>, started {at} by {by}: {state}</li>',
                         id=v["id"], rid=v["record_id"], at=v["created_at"], by=v["created_by"],
                         state=("final, version %d" % v["version"]) if v["final"] else
                         ("draft, version %d" % v["version"]) if v["version"] else v["state"])
                  for v in store.visits(db, case_id)]
        parts.append(render('<h2>Visit records</h2>{list}', list=render('<ul id="visits">{v}</ul>', v=join(visits))
                            if visits else Markup("<p>No visit records yet.</p>")))
        if transcription[0]:
            upload = render(
                '<form method="post" action="/cases/{c}/visits" enctype="multipart/form-data" class="card" '
                'id="upload-form">{csrf}<p><label for="audio">Recording of the visit (WAV, FLAC, OGG or MP3, up to '
                '20 MB; on a phone you can record it now)</label>'
                '<input type="file" id="audio" name="audio" accept="audio/*" capture required></p>'
                '<p><button type="submit">Upload and transcribe</button></p></form>', c=case_id, csrf=csrf)
        else:
            upload = render('<p id="no-upload">Recording and transcription are not available: {w}.</p>',
                            w=transcription[1])
        parts.append(render('<h2>New visit record</h2>{upload}<form method="post" action="/cases/{c}/visits">'
                            '{csrf}<input type="hidden" name="mode" value="blank"><p><button type="submit" '
                            'class="secondary">Start a record without a recording</button></p></form>',
                            upload=upload, c=case_id, csrf=csrf))
        return self.page(req, "Case %s: %s" % (case_id, case["title"]), join(parts), status)

    def record_consent(self, db, req, case_id):
        case = self.case_of(db, req, case_id)
        subject = req.field("subject", limit=128)
        if subject not in {s["id"] for s in store.subjects(db, case_id)}:
            raise HttpError(400, "Choose a person of this case.")
        given_by, method, capacity = req.field("given_by"), req.field("method"), req.field("capacity")
        if (given_by not in ("self", "representative", "best-interests") or
                method not in ("verbal", "written", "recorded") or
                capacity not in ("has-capacity", "lacks-capacity", "not-assessed")):
            raise HttpError(400, "The consent form was not filled in completely.")
        scopes = " ".join(v for v, _ in SCOPES if v in req.fields("scope"))
        db.execute("INSERT INTO consents(case_id, subject_id, given_by, method, capacity, at, scopes, recorded_by) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                   (case["id"], subject, given_by, method, capacity, store.now_utc(), scopes, req.user["id"]))
        return redirect("/cases/%s?consent=1" % case_id)

    def withdraw_consent(self, db, req, case_id):
        self.case_of(db, req, case_id)
        db.execute("UPDATE consents SET withdrawn_at = ? WHERE n = (SELECT max(n) FROM consents WHERE case_id = ? "
                   "AND subject_id = ?) AND withdrawn_at IS NULL",
                   (store.now_utc(), case_id, req.field("subject", limit=128)))
        return redirect("/cases/" + case_id)

    # ---- visits: forms and jobs ------------------------------------------------
    def template_info(self, template_id):
        if template_id not in self.templates:
            with self.ctx.template_find(template_id) as tpl:
                self.templates[template_id] = (tpl.title, tpl.sections)
        return self.templates[template_id]

    def case_form(self, db, case, record_id, template_id, author):
        """A new form for a case: its people and consents (the library decides
        from them whether a job may run) and the sections AI never drafts."""
        subjects, consents = forms.case_people(store.subjects(db, case["id"]), store.consents(db, case["id"]))
        _, sections = self.template_info(template_id)
        return forms.Form(id=record_id, template=template_id, team=case["team"], author=author, subjects=subjects,
                          consents=consents, sections=[forms.Section(s.id) for s in sections if not s.ai_may_draft])

    def visit_of(self, db, req, visit_id):
        visit = store.visit_of(db, req.user, int(visit_id))
        if visit is None:
            raise HttpError(404, "There is no such visit record in your team's cases.")
        return visit

    def new_visit(self, db, req, case_id):
        case = self.case_of(db, req, case_id)
        uid = req.user["id"]
        if req.field("mode") == "blank":
            return redirect("/visits/%d" % store.new_visit(db, case_id, DEFAULT_TEMPLATE, "new", uid))
        filename, data = req.files.get("audio", ("", b""))
        if not data:
            return self.case_page(db, req, case_id, "Choose a recording to upload.", 400)
        ok, why = self.ai_allowed(db, case, "transcription")
        if not ok:
            return self.case_page(db, req, case_id, "Recording and transcription are not available: %s." % why, 403)
        suffix = os.path.splitext(filename)[1].lower()
        visit_id = store.new_visit(db, case_id, DEFAULT_TEMPLATE, "transcribing", uid)
        visit = store.visit_of(db, req.user, visit_id)
        form = self.case_form(db, case, visit["record_id"], DEFAULT_TEMPLATE, uid)
        # A name of our own, never the uploader's; readable by this process only.
        path = os.path.join(self.uploads, "visit-%d-%s%s" % (visit_id, secrets.token_hex(8),
                                                             suffix if suffix in AUDIO_SUFFIXES else ".audio"))
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
        except OSError:
            os.unlink(path)  # a disk full: no half recording left behind
            raise
        try:
            # take_recording: the library keeps the audio only as long as the team's retention allows.
            job = self.ctx.transcribe(forms.build(form), path, helper_path=self.asr, take_recording=True)
        except casescribe.Error as e:
            os.unlink(path)
            db.execute("UPDATE visits SET state = 'failed', message = ? WHERE id = ?", (e.message, visit_id))
        else:
            db.execute("UPDATE visits SET job_server = ? WHERE id = ?", (self.server_name, visit_id))
            with self.jobs_lock:
                self.jobs[visit_id] = (job, path)
        return redirect("/visits/%d" % visit_id)

    def collect(self, db, visit):
        """Takes the result of the visit's job once it has ended. Jobs run on
        the library's threads; pages only look at them. One request at a
        time, committed before the next looks: a double click on "Check
        again" must not find the job taken and call it lost."""
        if visit["state"] not in ("transcribing", "drafting"):
            return visit
        vid = visit["id"]
        with self.collect_lock:
            visit = store.visit_of(db, {"team": visit["team"]}, vid)  # as the last collector left it
            if visit["state"] not in ("transcribing", "drafting"):
                return visit
            with self.jobs_lock:
                job, path = self.jobs.get(vid, (None, None))
                if (job is not None and not job.ended) or (job is None and self.elsewhere(visit)):
                    return visit
                self.jobs.pop(vid, None)
            if job is None:
                db.execute("UPDATE visits SET state = 'failed', message = ? WHERE id = ?",
                           ("The server restarted while this job ran: start it again.", vid))
            else:
                try:
                    if visit["state"] == "transcribing":
                        with job.transcript() as t:
                            db.execute("UPDATE visits SET state = 'transcribed', transcript_xml = ?, "
                                       "transcript_text = ?, message = NULL WHERE id = ?",
                                       (t.to_xml(), t.to_text(), vid))
                    else:
                        db.execute("UPDATE visits SET state = 'drafted', draft_xml = ?, draft_summary = ?, "
                                   "message = NULL WHERE id = ?", (job.draft(), job.result(), vid))
                except casescribe.Error as e:
                    db.execute("UPDATE visits SET state = ?, message = ? WHERE id = ?",
                               ("failed" if visit["state"] == "transcribing" else "transcribed", e.message, vid))
                    if path and os.path.exists(path):
                        os.unlink(path)  # a failed job gives the recording back: it is not kept
                finally:
                    job.close()
            db.commit()  # the pages that collect (visit_page) have written nothing else yet
        return store.visit_of(db, {"team": visit["team"]}, vid)

    def elsewhere(self, visit):
        """Whether the visit's job runs in another instance (which takes its result)."""
        return visit["job_server"] not in (None, self.server_name)

    def progress(self, vid):
        """How much of the recording the visit's job has transcribed
        (Job.progress: milliseconds of the recording), as a progress bar."""
        with self.jobs_lock:
            job, _ = self.jobs.get(vid, (None, None))
        try:
            done, total = job.progress if job is not None else (0, 0)
        except casescribe.Error:  # collected by another request meanwhile
            done, total = 0, 0
        if total <= 0:
            return render('<p id="transcription-progress">Waiting for the recording to be read.</p>')
        clock = lambda ms: "%d:%02d" % (ms // 60000, ms // 1000 % 60)
        return render('<p id="transcription-progress"><label for="progress-bar">Transcribed so far:</label> '
                      '<progress id="progress-bar" max="{t}" value="{d}">{p}%</progress> {p}% '
                      '({a} of {b} of the recording)</p>', t=str(total), d=str(done), p=str(done * 100 // total),
                      a=clock(done), b=clock(total))

    def visit_page(self, db, req, visit_id, error=None, status=200, pending=None):
        visit = self.collect(db, self.visit_of(db, req, visit_id))
        vid, state = visit["id"], visit["state"]
        case = self.case_of(db, req, visit["case_id"])
        latest = store.latest_record(db, vid)
        parts = [render('<p><a href="/cases/{c}">Back to case {c}</a></p>', c=case["id"])]
        if error:
            parts.append(render('<div class="error" role="alert" id="error"><p>{e}</p></div>', e=error))
        elif req.query.get("saved") in SAVED and latest is not None:
            parts.append(render('<p class="ok" role="status" id="flash">{m}</p>',
                                m=SAVED[req.query["saved"]].format(v=latest["version"])))
        check_again = render('<a href="/visits/{v}">Check again</a>', v=vid)
        if state == "transcribing":
            parts.append(render('<p class="working" id="working">Transcribing the recording. This takes about as '
                                'long as the recording; the page does not update by itself. {a}</p>', a=check_again))
            parts.append(render('<p id="transcription-progress">Running on server {s}.</p>', s=visit["job_server"])
                         if self.elsewhere(visit) else self.progress(vid))
        elif visit["message"]:
            parts.append(render('<p class="error" id="job-error">The last job did not work: {m}</p>',
                                m=visit["message"]))
        if visit["transcript_text"]:
            parts.append(render('<h2>Transcript</h2><p>Made by a computer program from the recording: it is not a '
                                'word-for-word record, and words in [brackets?] may be misheard.</p>'
                                '<pre id="transcript" class="transcript">{t}</pre>', t=visit["transcript_text"]))
        if state == "drafting":
            parts.append(render('<p class="working" id="working">Drafting the record from the transcript. {a}</p>',
                                a=check_again))
        elif visit["transcript_xml"] and latest is None:
            parts.append(self.draft_form(db, req, case, visit))
        if state not in ("transcribing", "drafting"):
            parts.append(self.editor(req, visit, latest, pending))
        versions = store.records(db, vid)
        if versions:
            rows = join(render('<tr><td>{v}</td><td>{k}</td><td>{by}</td><td>{at}</td></tr>', v=r["version"],
                               k="final" if r["final"] else "draft", by=r["saved_by"], at=r["saved_at"])
                        for r in versions)
            parts.append(render('<h2>Saved versions</h2><table id="versions"><caption>Saved versions</caption><thead>'
                                '<tr><th scope="col">Version</th><th scope="col">Kind</th><th scope="col">Saved by'
                                '</th><th scope="col">Saved at</th></tr></thead><tbody>{rows}</tbody></table>'
                                '<form method="get" action="/visits/{v}/verify"><p><button type="submit">Check the '
                                "latest version's seal</button></p></form>", rows=rows, v=vid))
        return self.page(req, "Visit record %s" % visit["record_id"], join(parts), status)

    def draft_form(self, db, req, case, visit):
        ok, why = self.ai_allowed(db, case, "ai-draft")
        if not ok:
            return render('<h2>Draft with AI</h2><p id="no-draft">Drafting by AI is not available: {w}.</p>', w=why)
        options = join(render('<option value="{i}"{sel}>{t}</option>', i=t, t=self.template_info(t)[0],
                              sel=Markup(" selected") if t == visit["template"] else "")
                       for t in sorted(self.ctx.template_list()))
        summary = render('<details><summary>What the last draft found</summary><pre>{s}</pre></details>',
                         s=visit["draft_summary"]) if visit["draft_summary"] else ""
        return render('<h2>Draft with AI</h2><form method="post" action="/visits/{v}/draft" id="draft-form">{csrf}'
                      '<p><label for="template">Form template</label><select id="template" name="template">{o}'
                      '</select></p><p><button type="submit">Draft the record from the transcript</button></p>'
                      '</form>{s}', v=visit["id"], csrf=hidden_csrf(req), o=options, s=summary)

    def start_draft(self, db, req, visit_id):
        visit = self.visit_of(db, req, visit_id)
        case = self.case_of(db, req, visit["case_id"])
        if visit["state"] not in ("transcribed", "drafted") or store.latest_record(db, visit["id"]):
            raise HttpError(409, "This record cannot be drafted now.")
        template = req.field("template", limit=128)
        if template not in self.ctx.template_list():
            raise HttpError(400, "Choose one of the templates.")
        ok, why = self.ai_allowed(db, case, "ai-draft")
        if not ok:
            return self.visit_page(db, req, visit_id, "Drafting by AI is not available: %s." % why, 403)
        form = self.case_form(db, case, visit["record_id"], template, visit["created_by"])
        try:
            with casescribe.Transcript.open(visit["transcript_xml"]) as t, self.ctx.template_find(template) as tpl:
                job = self.ctx.fill(forms.build(form), tpl, t)  # the job keeps its own references
        except casescribe.Error as e:
            return self.visit_page(db, req, visit_id, "Drafting could not start: %s" % e.message, 422)
        db.execute("UPDATE visits SET state = 'drafting', template = ?, draft_xml = NULL, message = NULL, "
                   "job_server = ? WHERE id = ?", (template, self.server_name, visit["id"]))
        with self.jobs_lock:
            self.jobs[visit["id"]] = (job, None)
        return redirect("/visits/%d" % visit["id"])

    # ---- the form editor and the save hook -------------------------------------
    def current_form(self, visit, latest):
        if latest is not None:
            return forms.parse(latest["payload"])
        return forms.parse(visit["draft_xml"]) if visit["draft_xml"] else None

    def editor(self, req, visit, latest, pending):
        form = self.current_form(visit, latest)
        title, sections = self.template_info(form.template if form else visit["template"])
        final = latest is not None and latest["final"]
        parts = []
        for ts in sections:
            sec = form.section(ts.id) if form else None
            origin = sec.origin if sec else "human"
            text = pending[0].get(ts.id, "") if pending else (sec.text if sec else "")
            attrs = sec.attrs if sec else {}
            if not ts.ai_may_draft:
                badge = "Written by you only: AI never drafts this part (it is your professional judgement)."
                kind = "never"
            elif origin == "ai-draft":
                badge = "Drafted by AI (%s), not yet reviewed. Check it against the recording and edit it." % (
                    attrs.get("engine", "engine not named"))
                kind = "ai-draft"
            elif origin == "ai-reviewed":
                badge = "Drafted by AI, then reviewed by %s on %s (%s)." % (
                    attrs.get("reviewed-by"), attrs.get("reviewed-at"), attrs.get("review"))
                kind = "ai-reviewed"
            else:
                badge, kind = "Written by you.", "human"
            extra = Markup("")
            if origin == "ai-draft" and not final:
                # What the draft came from, for the reviewer: the time in the
                # recording and the words the transcriber was unsure of.
                spans = ", ".join("%s to %s" % (ms(c["start-ms"]), ms(c["end-ms"])) for c in form.cites
                                  if c.get("section") == ts.id and c.get("start-ms"))
                heard = join(render("<mark>{w} (?)</mark>", w=w) if unsure else w
                             for w, unsure in forms.unsure_marks(form, ts.id))
                checked = pending is not None and ts.id in pending[1]
                extra = render(
                    '<p class="heard">What the program heard{when}, with words it was unsure of marked (?): {h}</p>'
                    '<p class="review"><input type="checkbox" id="reviewed-{i}" name="reviewed" value="{i}"{c}> '
                    '<label for="reviewed-{i}">I have reviewed this part: {t}</label></p>',
                    when=" at " + spans if spans else "", h=heard, i=ts.id, t=ts.title,
                    c=Markup(" checked") if checked else "")
            if final:
                field = render('<div class="text" id="text-{i}">{t}</div>', i=ts.id, t=text or "(left empty)")
            else:
                # A newline after <textarea>: browsers drop the first one, so text starting with one survives.
                field = render('<textarea id="text-{i}" name="text:{i}" rows="5" aria-labelledby="title-{i}" '
                               'aria-describedby="badge-{i}">\n{t}</textarea>', i=ts.id, t=text)
            parts.append(render(
                '<section class="part {k}" data-section="{i}" data-origin="{o}" aria-labelledby="title-{i}">'
                '<h3 id="title-{i}">{title}</h3><p class="badge" id="badge-{i}">{b}</p>'
                '<p class="guidance">{g}</p>{field}{extra}</section>',
                k=kind, i=ts.id, o=origin if ts.ai_may_draft else "never", title=ts.title, b=badge,
                g=ts.guidance or "", field=field, extra=extra))
        if final:
            return render('<h2>{t}</h2><p id="final-note">This record is final (version {v}).</p>{p}',
                          t=title, v=latest["version"], p=join(parts))
        return render('<h2>{t}</h2><form method="post" action="/visits/{v}/save" id="editor">{csrf}{p}'
                      '<p class="actions"><button type="submit" name="action" value="draft" class="secondary">'
                      'Save draft</button> <button type="submit" name="action" value="final">Save final'
                      '</button></p></form>', t=title, v=visit["id"], csrf=hidden_csrf(req), p=join(parts))

    def save(self, db, req, visit_id):
        visit = self.visit_of(db, req, visit_id)
        case = self.case_of(db, req, visit["case_id"])
        latest = store.latest_record(db, visit["id"])
        if visit["state"] in ("transcribing", "drafting") or (latest is not None and latest["final"]):
            raise HttpError(409, "This record cannot be changed now.")
        action = req.field("action")
        if action not in ("draft", "final"):
            raise HttpError(400, "Choose Save draft or Save final.")
        current = self.current_form(visit, latest)
        _, sections = self.template_info(current.template if current else visit["template"])
        texts = {s.id: forms.clean_text(req.field("text:" + s.id, limit=50000)).strip("\n") for s in sections}
        reviewed = set(req.fields("reviewed"))
        uid, now = req.user["id"], store.now_utc()
        subjects, consents = forms.case_people(store.subjects(db, case["id"]), store.consents(db, case["id"]))
        new = forms.Form(id=visit["record_id"], template=current.template if current else visit["template"],
                         team=case["team"], author=visit["created_by"], final=action == "final",
                         subjects=subjects, consents=consents,
                         provenance=current.provenance if latest is not None else None)
        unticked = []
        for ts in sections:
            old, text = (current.section(ts.id) if current else None), texts[ts.id]
            if old is not None and old.is_ai:
                # AI text stays AI text: it becomes "ai-reviewed" with the reviewer's name, never "human".
                changed = text != old.text.strip("\n")
                sec = forms.Section(ts.id, old.origin, text if changed else old.text, dict(old.attrs))
                if (old.origin == "ai-draft" and ts.id in reviewed) or (old.origin == "ai-reviewed" and changed):
                    edited = changed or old.attrs.get("review") == "edited"
                    sec.origin = "ai-reviewed"
                    sec.attrs.update({"reviewed-by": uid, "reviewed-at": now, "review": "edited" if edited
                                      else "accepted"})
                elif changed:
                    unticked.append(ts.title)
                new.sections.append(sec)
            elif text or old is not None or not ts.ai_may_draft:
                new.sections.append(forms.Section(ts.id, "human", text))
        if unticked:
            return self.visit_page(db, req, visit_id, "Not saved: you changed the AI draft of %s. Tick \"I have "
                                   "reviewed this part\" to save your changes as reviewed." % ", ".join(unticked),
                                   422, (texts, reviewed))
        if current is not None:  # citations belong to the AI text they came with
            new.cites = [c for c in current.cites if new.section(c.get("section")) is not None and
                         new.section(c["section"]).is_ai]
        try:
            stamped = self.ctx.save(forms.build(new), uid, role="social-worker", team=req.user["team"])
        except casescribe.Error as e:
            # The library's refusal, shown as it is: it names the sections.
            message = "%s The library answered %s: %s." % (REFUSALS.get(e.name, "Not saved."), e.name, e.message)
            return self.visit_page(db, req, visit_id, message, 422, (texts, reviewed))
        with casescribe.Record.open(stamped) as record:
            version = record.version
        db.execute("INSERT INTO records(visit_id, version, final, payload, saved_by, saved_at) "
                   "VALUES (?, ?, ?, ?, ?, ?)", (visit["id"], version, int(new.final), stamped, uid, now))
        return redirect("/visits/%d?saved=%s" % (visit["id"], action))

    def verify(self, db, req, visit_id):
        visit = self.visit_of(db, req, visit_id)
        latest = store.latest_record(db, visit["id"])
        if latest is None:
            raise HttpError(404, "Nothing has been saved for this record yet.")
        try:
            report, ok = self.ctx.verify(latest["payload"]), True
        except casescribe.Error as e:
            report, ok = getattr(e, "report", None) or e.message, False
        body = render('<p><a href="/visits/{v}">Back to the record</a></p><p class="{c}" id="verify-result">{r}</p>'
                      '<pre id="verify-report">{rep}</pre>', v=visit["id"], c="ok" if ok else "error", rep=report,
                      r="The seal checks out: the record is unchanged since it was saved, and was signed by this "
                        "council's key." if ok else "The seal does NOT check out: see the report.")
        return self.page(req, "Seal check of record %s, version %d" % (visit["record_id"], latest["version"]), body)

    # ---- subject access ----------------------------------------------------------
    def sar_page(self, db, req, error=None, status=200):
        people = store.sar_subjects(db, req.user)
        body = render('{e}<p>A person has the right to a copy of the records about them. The export is a ZIP file '
                      'with a plain-English page (report.html), the records and a signed manifest. Check the '
                      "redaction of other people's information before you send it.</p>"
                      '<form method="post" action="/sar" class="card" id="sar-form">{csrf}<p><label for="sar-subject">'
                      'Person</label><select id="sar-subject" name="subject">{o}</select></p><p><button '
                      'type="submit">Download the export</button></p></form>',
                      e=render('<p class="error" role="alert" id="error">{e}</p>', e=error) if error else "",
                      csrf=hidden_csrf(req),
                      o=join(render('<option value="{i}">{n} ({i})</option>', i=p["id"], n=p["name"]) for p in people))
        return self.page(req, "Subject access request", body, status)

    def sar_export(self, db, req):
        subject = req.field("subject", limit=128)
        if subject not in {p["id"] for p in store.sar_subjects(db, req.user)}:
            raise HttpError(404, "There is no such person in your team's cases.")
        payloads = [p for p in store.sar_payloads(db, req.user, subject)
                    if subject in {s["id"] for s in forms.parse(p).subjects}]
        if not payloads:
            return self.sar_page(db, req, "No saved record names this person yet.", 404)
        tmp = tempfile.mkdtemp(prefix="sar-", dir=self.uploads)
        try:
            out = os.path.join(tmp, "export.zip")
            # The officer's redaction list (review.csv) is not offered here: this example sends the whole export.
            with self.ctx.sar_open(subject, out, review_path=os.path.join(tmp, "review.csv"),
                                   organisation=self.organisation) as sar:
                for payload in payloads:
                    sar.add(payload)
                sar.finish()
            with open(out, "rb") as f:
                data = f.read()
        except casescribe.Error as e:
            return self.sar_page(db, req, "The export could not be made: %s" % e.message, 422)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        name = "subject-access-%s.zip" % re.sub(r"[^A-Za-z0-9._-]", "_", subject)
        return Response(data, 200, "application/zip", [("Content-Disposition", 'attachment; filename="%s"' % name)])

    # ---- admin: team features ----------------------------------------------------
    def admin_page(self, db, req):
        parts = []
        if req.query.get("changed"):
            parts.append(Markup('<p class="ok" role="status" id="flash">The team policy was changed, signed and '
                                'journalled.</p>'))
        for team in db.execute("SELECT * FROM teams ORDER BY id"):
            with self.ctx.team_policy(team["id"]) as policy:
                state = {f: policy.feature(f) for f in FEATURES}
                about = "policy version %d (%s)" % (policy.version, policy.state.name.lower())
            rows = join(render(
                '<tr><td>{f}</td><td class="state">{s}</td><td><form method="post" action="/admin/features" '
                'data-team="{t}" data-feature="{f}">{csrf}<input type="hidden" name="team" value="{t}">'
                '<input type="hidden" name="feature" value="{f}"><input type="hidden" name="value" value="{v}">'
                '<button type="submit" class="small">Switch {v}<span class="visually-hidden"> {f} for {t}</span>'
                '</button></form></td></tr>', f=f, s="on" if on else "off", t=team["id"], v="off" if on else "on",
                csrf=hidden_csrf(req)) for f, on in state.items())
            parts.append(render('<h2>{name}</h2><p>Team id {t}, {a}.</p><table id="team-{t}"><caption>Features of '
                                '{name}</caption><thead><tr><th scope="col">Feature</th><th scope="col">State</th>'
                                '<th scope="col"><span class="visually-hidden">Change</span></th></tr></thead>'
                                '<tbody>{rows}</tbody></table>', name=team["name"], t=team["id"], a=about, rows=rows))
        return self.page(req, "Team features", join(parts))

    def set_feature(self, db, req):
        team, feature, value = req.field("team", limit=128), req.field("feature"), req.field("value")
        if db.execute("SELECT 1 FROM teams WHERE id = ?", (team,)).fetchone() is None or feature not in FEATURES \
                or value not in ("on", "off"):
            raise HttpError(400, "Choose a team, a feature and on or off.")
        self.ctx.team_set(req.user["id"], team, feature, value)  # signed, and journalled in the admin's name
        return redirect("/admin?changed=1")
