"""Work done once in the gunicorn master, before the workers are forked from it.

What a worker would otherwise build on its first requests and then keep (SQLAlchemy's
mapper configuration, the signer pages' compiled templates) is built here once, so every
worker shares those pages with the master instead of holding a private copy of its own.
No I/O beyond reading template files: connections are opened by the workers only.
"""

from __future__ import annotations

from flask import Flask
from sqlalchemy.orm import configure_mappers

# The pages signers and partner pages load; the dashboard's are left to the workers
# that serve it.
SIGNER_TEMPLATES = (
    "embed/sign.html",
    "embed/thanks.html",
    "embed/counter.html",
    "embed/closed.html",
)


def warm_up(app: Flask) -> None:
    configure_mappers()
    for name in SIGNER_TEMPLATES:
        app.jinja_env.get_template(name)
