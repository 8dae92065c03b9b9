"""Clicks counted in this process's memory, pushed to the shared journal.

The redirect path only adds one to a dict under a lock: no cache write, no
database write. A daemon thread (started by the first click when
``PUSH_INTERVAL`` > 0) pushes the counts to the journal every ``PUSH_INTERVAL``
seconds, the process pushes once more when it exits normally, and the flush
task pushes the counts of the process it runs in before applying the journal.

"Exits normally" covers both ways a worker ends on SIGTERM: an interpreter
that shuts down (gunicorn workers, runserver, Celery: ``atexit``) and a
``multiprocessing`` child started by fork (granian's workers), which ends with
``os._exit()`` after running multiprocessing's exit finalizers but never the
``atexit`` handlers; the push is registered as such a finalizer too, by the
first click in the process (a forked child starts with none).

What a hard crash (SIGKILL, power loss) of a web process can lose: the clicks it
served since its last push, at most ``PUSH_INTERVAL`` seconds of its traffic.
A push that fails (cache unreachable) keeps the counts for the next attempt, so
while the shared cache is down the counts wait in the process's memory (one
warning per outage) and are pushed by the first push after it answers again.
A process that exits before then cannot hand them over: it logs an error with
the number of clicks lost.
"""

from __future__ import annotations

import atexit
import logging
import multiprocessing.util
import os
import threading
from collections import Counter
from collections.abc import Hashable

from marketplace_shorturl import journal
from marketplace_shorturl.conf import conf

logger = logging.getLogger("shorturl")


class ClickBuffer:
    """Per-process counts for one journal: clicks by link id (:data:`buffer`), or
    product views by ``(link id, product slug)`` (:data:`views`)."""

    def __init__(self, prefix: str = journal.CLICKS, *, noun: str = "clicks",
                 flushes: bool = True) -> None:
        self.prefix = prefix
        #: What is counted, for log messages.
        self.noun = noun
        #: Whether this buffer's pusher also runs the flush (one of them is enough).
        self.flushes = flushes
        self._lock = threading.Lock()
        self._counts: Counter[Hashable] = Counter()
        self._pusher: threading.Thread | None = None
        self._stop = threading.Event()
        self._exit_push: multiprocessing.util.Finalize | None = None
        self._push_failing = False  # so an outage is logged once, not every interval

    def record(self, key: Hashable) -> None:
        """Count one click (or view). Never touches the network or the database."""
        with self._lock:
            self._counts[key] += 1
        if self._pusher is None:
            self._start_pusher()

    def pending_for(self, key: Hashable) -> int:
        """Counts for ``key`` counted here and not pushed yet."""
        with self._lock:
            return self._counts.get(key, 0)

    def pending(self) -> int:
        """Clicks counted here and not pushed yet."""
        with self._lock:
            return sum(self._counts.values())

    def push(self) -> int:
        """Move this process's counts into the journal; return how many clicks moved.

        On failure the counts are put back (nothing is lost while the process
        lives) and the error is raised.
        """
        with self._lock:
            counts, self._counts = self._counts, Counter()
        if not counts:
            return 0
        try:
            journal.append(counts, self.prefix)
        except Exception:
            with self._lock:
                self._counts.update(counts)
            raise
        return sum(counts.values())

    def _start_pusher(self) -> None:
        self._register_exit_push()
        interval = conf.PUSH_INTERVAL
        with self._lock:
            if self._pusher is not None or interval <= 0:
                return
            self._stop.clear()
            self._pusher = threading.Thread(
                target=self._run, args=(interval,), name=f"shorturl-pusher-{self.prefix}",
                daemon=True,
            )
            self._pusher.start()

    def _register_exit_push(self) -> None:
        """Make sure this process pushes at exit also if it ends as a multiprocessing child.

        Cheap when already registered: the first click of a process registers it
        (``atexit`` is registered once at import and survives forks).
        """
        hook = self._exit_push
        if hook is None or not hook.still_active():
            self._exit_push = multiprocessing.util.Finalize(None, _push_at_exit, exitpriority=10)

    def _run(self, interval: float) -> None:
        while not self._stop.wait(interval):
            if self._push_logged() and self.flushes and conf.FLUSH_IN_WEB_PROCESS:
                self._flush_logged()

    def _push_logged(self) -> bool:
        """Push; on failure keep the counts, log (once until a push works again) and
        return False."""
        try:
            self.push()
        except Exception as error:
            if not self._push_failing:
                logger.warning("shorturl: pushing counts to the shared cache failed (%s); "
                               "this process keeps them and pushes them when it answers",
                               error, exc_info=error)
            self._push_failing = True
            return False
        if self._push_failing:
            logger.info("shorturl: pushing counts works again")
        self._push_failing = False
        return True

    def _flush_logged(self) -> None:
        from marketplace_shorturl.flush import apply_pending

        try:
            apply_pending()
        except Exception:
            logger.exception("shorturl: flushing clicks in the web process failed")
        finally:
            from django.db import connection

            connection.close()  # this thread's own connection; do not keep it open

    def stop(self) -> None:
        """Stop the pusher thread (the next click starts it again)."""
        thread = self._pusher
        self._stop.set()
        if thread is not None:
            thread.join(5)
        self._pusher = None

    def reset(self) -> None:
        """Forget unpushed counts and the pusher thread, as in a fresh process.

        Runs in a forked child (the parent keeps and pushes its own counts; its
        thread does not exist in the child); tests call it between tests.
        """
        self._lock = threading.Lock()
        self._counts = Counter()
        self._pusher = None
        self._stop = threading.Event()
        self._push_failing = False


buffer = ClickBuffer()
#: Product views that followed a short link (:mod:`marketplace_shorturl.attribution`).
views = ClickBuffer(journal.VIEWS, noun="product views", flushes=False)
BUFFERS = (buffer, views)
for _buffer in BUFFERS:
    os.register_at_fork(after_in_child=_buffer.reset)


@atexit.register
def _push_at_exit() -> None:
    """Push what this process still holds (runs at most usefully once: then nothing is left)."""
    for held in BUFFERS:
        pending = held.pending()
        if pending and not held._push_logged():
            logger.error("shorturl: exiting with %d %s that could not be pushed (the shared "
                         "cache is unreachable); they are lost", pending, held.noun)
