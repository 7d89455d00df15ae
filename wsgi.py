"""WSGI entry point: `gunicorn wsgi:app` (production) and `flask --app wsgi ...` (CLI)."""

from widget import create_app

app = create_app()
