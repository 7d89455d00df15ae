import re
from pathlib import Path

import pytest

from widget import create_app
from widget.app import MissingSecretKey
from widget.core.settings import SETTINGS, load_settings, sqlalchemy_url

OPERATING = Path(__file__).resolve().parent.parent / "docs" / "operating.md"


def test_production_refuses_to_start_without_a_secret_key(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(MissingSecretKey):
        create_app({"DATABASE_URL": "sqlite://"})


def test_environment_overrides_defaults():
    settings = load_settings(
        {"PUBLIC_URL": "https://sign.example", "TALLY_SHARDS": "3", "COUNT_CACHE_SECONDS": ""}
    )
    assert settings["PUBLIC_URL"] == "https://sign.example"
    assert settings["TALLY_SHARDS"] == 3
    assert settings["COUNT_CACHE_SECONDS"] == 2.0


def test_postgres_urls_use_psycopg3():
    assert sqlalchemy_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert sqlalchemy_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert sqlalchemy_url("sqlite:///x.db") == "sqlite:///x.db"


def test_the_operators_docs_document_every_setting():
    page = OPERATING.read_text(encoding="utf-8")
    undocumented = [s.name for s in SETTINGS if not re.search(rf"`{s.name}`", page)]
    assert undocumented == []
