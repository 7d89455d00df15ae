"""In-process rate-limit counters without a thread per hit.

limits' MemoryStorage drops expired counters from a 10 ms `threading.Timer`, and starts
a new timer on the first hit after the last one has run: under a signing spike nearly
every request starts (and waits to start) a thread, which py-spy showed as about a tenth
of a gunicorn worker's time. The counts never depended on that cleanup (every read
compares timestamps itself), so this storage runs the same cleanup inline, at most once
a second, and starts no thread at all. Registered as `inprocess://`, the app's storage
whenever REDIS_URL is unset.
"""

from __future__ import annotations

import time

from limits.storage import MemoryStorage

CLEANUP_INTERVAL_SECONDS = 1.0


class InProcessStorage(MemoryStorage):
    STORAGE_SCHEME = ["inprocess"]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options) -> None:
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self.timer.cancel()  # the one timer MemoryStorage starts when created
        self._next_cleanup = time.monotonic() + CLEANUP_INTERVAL_SECONDS

    def __setstate__(self, state) -> None:
        super().__setstate__(state)
        self.timer.cancel()

    # MemoryStorage calls its (name-mangled) __schedule_expiry before every change.
    def _MemoryStorage__schedule_expiry(self) -> None:
        now = time.monotonic()
        if now >= self._next_cleanup:
            self._next_cleanup = now + CLEANUP_INTERVAL_SECONDS
            self._MemoryStorage__expire_events()
            # MemoryStorage empties a network's list but keeps its key: drop those too,
            # or every network that ever signed stays in memory until the worker recycles.
            for key in [key for key, events in self.events.items() if not events]:
                with self.locks[key]:
                    if not self.events.get(key):
                        self.events.pop(key, None)
                        self.locks.pop(key, None)
