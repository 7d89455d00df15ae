"""A circuit breaker for shared services that are optional (Redis).

A Redis that refuses connections fails fast, but one that accepts and never answers costs
every request its socket timeout: four rate-limit hits and a cache read per signature
took signing from about 115 to about 1 per second. The breaker remembers the failure:
for SHARED_SERVICE_RETRY_SECONDS every caller goes straight to its in-process fallback,
then one call tries the service again. Each change of state is logged once, and the
widget_shared_service_down metric says which processes are serving from memory.
"""

from __future__ import annotations

import logging
import threading
import time

from flask import current_app

from widget.core.metrics import SHARED_SERVICE_DOWN

log = logging.getLogger(__name__)


class Breaker:
    def __init__(self, name: str, retry_after: float) -> None:
        self.name = name
        self.retry_after = retry_after
        self.is_down = False
        self.retry_at = 0.0
        self.lock = threading.Lock()

    def allows(self) -> bool:
        """Whether to call the service now (it is up, or it is time to try it again)."""
        if not self.is_down:
            return True
        with self.lock:
            if time.monotonic() < self.retry_at:
                return False
            # This caller tries; the others keep to the fallback until it knows.
            self.retry_at = time.monotonic() + self.retry_after
            return True

    def failed(self, error: BaseException) -> None:
        with self.lock:
            self.retry_at = time.monotonic() + self.retry_after
            if self.is_down:
                return
            self.is_down = True
        SHARED_SERVICE_DOWN.labels(self.name).set(1)
        log.warning(
            "%s is not answering (%s): serving from this process's memory; trying again every %g s",
            self.name,
            type(error).__name__,
            self.retry_after,
        )

    def succeeded(self) -> None:
        if not self.is_down:
            return
        with self.lock:
            if not self.is_down:
                return
            self.is_down = False
        SHARED_SERVICE_DOWN.labels(self.name).set(0)
        log.warning("%s answers again: shared state is used again", self.name)


def breaker(name: str) -> Breaker:
    """This app's (and so this process's) breaker for a shared service."""
    breakers = current_app.extensions.setdefault("breakers", {})
    found = breakers.get(name)
    if found is None:
        retry = current_app.config["SHARED_SERVICE_RETRY_SECONDS"]
        found = breakers.setdefault(name, Breaker(name, retry))
    return found
