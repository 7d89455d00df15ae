"""WSGI entry point from a checkout: `gunicorn wsgi:app` and `flask --app wsgi ...` (CLI).

An installed package runs `gunicorn 'widget:create_app()'` and `flask --app widget ...`
instead. Under the flask command line a checkout also gets the dev-only commands (the
demo, seeding) from devtools, which the wheel does not carry.
"""

import click

from widget import create_app

app = create_app()

if click.get_current_context(silent=True) is not None:
    from devtools.commands import register_dev_commands

    register_dev_commands(app)
