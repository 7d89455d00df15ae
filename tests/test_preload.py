"""What the gunicorn master builds once, before it forks the workers."""

from sqlalchemy import event

from widget.extensions import db
from widget.preload import SIGNER_TEMPLATES, warm_up


def test_warm_up_compiles_the_signer_pages_and_opens_no_connection(app):
    connections = []
    event.listen(db.engine, "connect", lambda *args: connections.append(args))
    app.jinja_env.cache.clear()
    warm_up(app)
    cached = {name for _, name in app.jinja_env.cache}
    # Workers forked after this share these templates instead of compiling their own,
    # and inherit no database connection from the master.
    assert set(SIGNER_TEMPLATES) <= cached
    assert connections == []
