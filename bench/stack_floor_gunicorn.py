"""gunicorn settings for the memory floor (bench/stack_floor.py): the production settings
of gunicorn.conf.py, less the three that import the app (the redacting logger, the
master's warm-up and the workers' export heartbeat)."""

from pathlib import Path

exec((Path(__file__).resolve().parent.parent / "gunicorn.conf.py").read_text())

logger_class = "gunicorn.glogging.Logger"


def when_ready(server):
    pass


def post_worker_init(worker):
    pass
