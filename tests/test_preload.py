"""What the gunicorn master builds once, before it forks the workers."""

import os
import subprocess
import sys

from sqlalchemy import event

from widget.core.extensions import db
from widget.core.settings import ROOT
from widget.ops.gunicorn import SIGNER_TEMPLATES, warm_up


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


def test_a_sqlite_worker_loads_no_migration_postgresql_or_command_line_code(tmp_path):
    # Every module the master imports counts in every worker's RSS: Alembic (about 10 MB)
    # is for the `flask` command only, and the PostgreSQL dialect (about 2 MB) for
    # PostgreSQL only; the `flask` commands (the demo, the seeding, the mail worker: about
    # 1 MB) for the command line only. A fresh interpreter: this test process imports them.
    probe = (
        "import sys, wsgi\n"
        "from widget.ops.gunicorn import warm_up\n"
        "warm_up(wsgi.app)\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'alembic', 'flask_migrate',"
        " 'psycopg'}), 'sqlalchemy.dialects.postgresql' in sys.modules,"
        " sorted(m for m in sys.modules if m.startswith(('widget.ops.cli', 'devtools'))))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=ROOT,
        env={
            **os.environ,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'probe.db'}",
            "SECRET_KEY": "probe-secret-key-that-is-long-enough-0123",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["[]", "False", "[]"]
