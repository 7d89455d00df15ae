"""Long downloads tell the process manager they are still making progress.

gunicorn's sync workers are stopped when they give no sign of life for GUNICORN_TIMEOUT
seconds, and a worker streaming a response gives none: a CSV export of a few million
signatures was cut off after 30 s. gunicorn.conf.py hands each worker's heartbeat to
``set_heartbeat``; a streamed response then beats once per piece it sends. A download
that stops moving (a query that hangs, a client that stopped reading) still beats no
more, and the worker is stopped as before.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator


def _no_heartbeat() -> None:
    """Outside gunicorn (the development server, tests, the CLI) nothing watches."""


_heartbeat: Callable[[], None] = _no_heartbeat


def set_heartbeat(beat: Callable[[], None]) -> None:
    """Called once in each worker process, with what tells its manager it is alive."""
    global _heartbeat
    _heartbeat = beat


def beating_while_sent(pieces: Iterable[str]) -> Iterator[str]:
    """The pieces of a streamed response, with a heartbeat before each one is sent."""
    for piece in pieces:
        _heartbeat()
        yield piece
