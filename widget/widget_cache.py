"""Petitions and partners as widget pages need them, kept in each app process briefly.

They are detached from the database session with everything widget pages read already
loaded, so serving a form costs no query for them. Operator use cases call
forget_widget_cache(); other processes see an edit when their copy expires
(WIDGET_CACHE_SECONDS).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

from flask import current_app

from .extensions import db


@dataclass
class _WidgetCache:
    ttl: float
    entries: dict = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _widget_cache() -> _WidgetCache:
    extensions = current_app.extensions
    if "widget_cache" not in extensions:
        extensions["widget_cache"] = _WidgetCache(current_app.config["WIDGET_CACHE_SECONDS"])
    return extensions["widget_cache"]


def cached(key: tuple, load: Callable, *, orm: bool = True):
    """``load()``'s result, reused for WIDGET_CACHE_SECONDS (ORM objects are detached)."""
    cache = _widget_cache()
    entry = cache.entries.get(key)
    if entry is not None and entry[0] > time.monotonic():
        return entry[1]
    value = load()
    if cache.ttl > 0:
        if orm:
            db.session.expunge(value)  # with its texts/origins (cascade): safe to share
        with cache.lock:
            cache.entries[key] = (time.monotonic() + cache.ttl, value)
    return value


def forget_widget_cache() -> None:
    """Drop this process's copies (after an operator changed a petition or partner)."""
    cache = _widget_cache()
    with cache.lock:
        cache.entries.clear()


class PageCache:
    """Rendered pages, least recently used first out, each kept for ``ttl`` seconds."""

    def __init__(self, ttl: float, size: int) -> None:
        self.ttl, self.size = ttl, size
        self.pages: OrderedDict = OrderedDict()
        self.lock = threading.Lock()

    def get_or_render(self, key, render: Callable[[], str]) -> str:
        now = time.monotonic()
        with self.lock:
            entry = self.pages.get(key)
            if entry is not None and entry[0] > now:
                self.pages.move_to_end(key)
                return entry[1]
        page = render()
        if self.ttl > 0:
            with self.lock:
                self.pages[key] = (now + self.ttl, page)
                self.pages.move_to_end(key)
                while len(self.pages) > self.size:
                    self.pages.popitem(last=False)
        return page


def page_cache() -> PageCache:
    """Blank signing forms, rendered once per URL and language for COUNT_CACHE_SECONDS:
    rendering was most of the cost of serving a form (only the form token differs)."""
    extensions = current_app.extensions
    if "page_cache" not in extensions:
        extensions["page_cache"] = PageCache(current_app.config["COUNT_CACHE_SECONDS"], 256)
    return extensions["page_cache"]
