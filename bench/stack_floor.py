"""gunicorn entry point for the memory floor: this project's libraries, set up the way the
app sets them up, serving one trivial route, and nothing of the app itself (no models,
views, templates or translations).

A gunicorn worker's RSS can be no lower than this process's, so `bench/run.py` prints its
peak RSS per worker beside the app's: the gap between the two is all this project's own
code and data can win back. Only `bench/run.py` starts this; it imports nothing from
`widget`, whose package would bring the whole app with it.
"""

import os

import email_validator  # noqa: F401 (the signing form checks every address with it)
from flask import Flask, jsonify
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import text

db = SQLAlchemy()
app = Flask(__name__)
# Already mapped to the driver by bench/run.py (widget.core.settings.sqlalchemy_url).
app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["DATABASE_URL"]
app.config["SECRET_KEY"] = os.environ["SECRET_KEY"]
db.init_app(app)
Babel(app)
CSRFProtect(app)
Limiter(get_remote_address, app=app, storage_uri="memory://")
LoginManager(app)


@app.get("/bench/hello")
def hello():
    # One round trip through the session, so the driver and the pool are in use too.
    db.session.execute(text("SELECT 1"))
    return jsonify(status="ok", service="floor", version=1)
