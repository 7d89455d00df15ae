"""The mail worker: queues reminders and sends the outbox, once or in a loop."""

from __future__ import annotations

import logging
import signal
import threading

from flask import current_app

from widget.core.extensions import db
from widget.outbox.deliver import DeliveryReport, deliver_due_messages
from widget.signers.confirmation import queue_reminders

log = logging.getLogger(__name__)


def run_worker_once(*, batch: int = 50) -> DeliveryReport:
    """One pass: queue due reminders, then send everything due (in batches)."""
    queue_reminders()
    total = DeliveryReport()
    while True:
        report = deliver_due_messages(batch=batch)
        total.sent += report.sent
        total.retrying += report.retrying
        total.failed += report.failed
        total.errors += report.errors
        # A short batch, or a batch that could not be sent, means nothing more is due now.
        if report.claimed < batch or report.sent == 0:
            return total


def run_worker(*, stop: threading.Event | None = None, batch: int = 50) -> None:
    """Loop until ``stop`` is set (or SIGTERM/SIGINT when run as the main thread)."""
    stop = stop or threading.Event()
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
    interval = current_app.config["WORKER_POLL_SECONDS"]
    while not stop.is_set():
        try:
            report = run_worker_once(batch=batch)
            if report.claimed:
                log.info(
                    "mail: %s sent, %s retrying, %s failed",
                    report.sent,
                    report.retrying,
                    report.failed,
                )
        except Exception:  # keep the worker alive through a database blip; retried next pass
            log.exception("mail worker pass failed")
        finally:
            # A fresh session each pass: nothing stale survives a long-running worker.
            db.session.remove()
        stop.wait(interval)
