# SPDX-License-Identifier: Apache-2.0
"""One Context shared by several Python threads at once (the library
releases nothing to the GIL: ctypes drops it for every call)."""
from __future__ import annotations

import threading

import casescribe

from .support import HomeTestCase, form

THREADS = 4
SAVES = 5


class ThreadsTest(HomeTestCase):
    def test_one_context_many_threads(self):
        ctx = self.open_home()
        self.enable_ai(ctx)
        base = form()
        errors = []
        saved = []
        start = threading.Barrier(THREADS)

        def worker(n: int) -> None:
            try:
                start.wait()
                for i in range(SAVES):
                    record_id = "R-T%d-%d" % (n, i)
                    stamped = ctx.save(base.replace(b'id="R-7001"', b'id="%s"' % record_id.encode()), "sw-017",
                                       role="social-worker")
                    with casescribe.Record.open(stamped) as record:
                        saved.append((record.id, record.version))
                    ctx.verify(stamped)
            except Exception as exc:  # noqa: BLE001 - collected and asserted below
                errors.append(exc)

        threads = [threading.Thread(target=worker, args=(n,)) for n in range(THREADS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(errors, [])
        self.assertEqual(sorted(saved), sorted(("R-T%d-%d" % (n, i), 1) for n in range(THREADS)
                                               for i in range(SAVES)))
        # the key, two policy changes, then one entry per save
        self.assertEqual(ctx.journal_verify().entries, 3 + THREADS * SAVES)

    def test_errors_stay_on_their_thread(self):
        ctx = self.open_home()  # ai-draft off: every save of the AI form fails with EPOLICY
        results = []

        def worker() -> None:
            for _ in range(10):
                try:
                    ctx.save(form(), "sw-017")
                except casescribe.PolicyError as exc:
                    results.append(("cin-north" in exc.message, exc.name))
                try:
                    casescribe.Record.open("<nope")
                except casescribe.ParseError as exc:
                    results.append(("not well-formed" in exc.message, exc.name))

        threads = [threading.Thread(target=worker) for _ in range(THREADS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(len(results), THREADS * 20)
        self.assertTrue(all(ok for ok, _ in results), results)

    def test_close_while_other_threads_save(self):
        ctx = self.open_home()
        self.enable_ai(ctx)
        outcomes = []
        running = threading.Event()

        def worker(n: int) -> None:
            for i in range(200):
                try:
                    ctx.save(form().replace(b'id="R-7001"', b'id="R-C%d-%d"' % (n, i)), "sw-017")
                    running.set()
                except casescribe.ClosedError:
                    outcomes.append("closed")
                    return
            outcomes.append("finished")

        threads = [threading.Thread(target=worker, args=(n,)) for n in range(THREADS)]
        for t in threads:
            t.start()
        running.wait(30)
        # close() waits for the saves in flight, then frees the context:
        # the other threads see ClosedError, never freed memory.
        ctx.close()
        for t in threads:
            t.join()
        self.assertEqual(len(outcomes), THREADS)
        self.assertTrue(set(outcomes) <= {"closed", "finished"})

    def test_one_job_watched_from_several_threads(self):
        ctx = self.open_home()
        admin = self.open_home("admin")
        ctx.policy_trust("dpo-1", admin.public_key())
        with ctx.policy_refresh("https://127.0.0.1:9/b.xml", connect_timeout_ms=2000, timeout_ms=3000) as job:
            seen = []
            threads = [threading.Thread(target=lambda: seen.append((job.wait(60), job.state)))
                       for _ in range(THREADS)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            self.assertEqual(seen, [(True, casescribe.JobState.FAILED)] * THREADS)

    def test_closing_the_context_ends_its_jobs(self):
        from .support import CS_ASR, CS_AUDIO
        ctx = self.open_home()
        self.enable_ai(ctx)
        ended = []
        dropped = []
        job = ctx.transcribe(form(), CS_AUDIO, helper_path=CS_ASR, parallel=1)
        job.on_end(lambda j: ended.append(j.state))
        # A job whose handle the host drops: its callback must neither run
        # nor crash when the library calls it later.
        other = ctx.transcribe(form(), CS_AUDIO, helper_path=CS_ASR, parallel=1)
        other.on_end(lambda j: dropped.append(j.state))
        other.close()
        del other
        ctx.close()  # cancels both and waits for them; callbacks may run on this thread
        with job:
            self.assertTrue(job.wait(0))
            self.assertIn(job.state, (casescribe.JobState.CANCELLED, casescribe.JobState.DONE))
            self.assertEqual(ended, [job.state])
        self.assertEqual(dropped, [])
        from casescribe import job as job_module
        self.assertEqual(job_module._awaiting_callback, set())

    def test_what_a_callback_may_not_do(self):
        ctx = self.open_home()
        admin = self.open_home("admin")
        ctx.policy_trust("dpo-1", admin.public_key())
        tried = []
        done = threading.Event()

        def on_end(job):
            # Closing the context here would join this very worker thread;
            # freeing the job here is forbidden by the library.
            for close in (ctx.close, job.close):
                try:
                    close()
                except casescribe.InvalidArgumentError as exc:
                    tried.append(exc.message)
            done.set()
            raise RuntimeError("kept, not lost")

        with ctx.policy_refresh("https://127.0.0.1:9/b.xml", connect_timeout_ms=2000, timeout_ms=3000) as job:
            job.on_end(on_end)
            self.assertTrue(job.wait(60))
            self.assertTrue(done.wait(10))
            self.assertEqual(len(tried), 2, tried)
            self.assertFalse(ctx.closed or job.closed)
            self.assertIsInstance(job.callback_error, RuntimeError)

    def test_close_a_job_another_thread_waits_for(self):
        from .support import CS_ASR, CS_AUDIO
        ctx = self.open_home()
        self.enable_ai(ctx)
        job = ctx.transcribe(form(), CS_AUDIO, helper_path=CS_ASR, parallel=1)
        outcome = []
        waiting = threading.Event()

        def waiter():
            waiting.set()
            try:
                outcome.append(job.wait())  # no limit: only close() can end it early
            except casescribe.ClosedError:
                outcome.append("closed")

        t = threading.Thread(target=waiter)
        t.start()
        waiting.wait(10)
        job.close()  # waits for the waiter's current slice (half a second at most)
        t.join(30)
        self.assertFalse(t.is_alive())
        self.assertIn(outcome, (["closed"], [True]))  # [True]: the job ended first
