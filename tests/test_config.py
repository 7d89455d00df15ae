import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from widget import create_app
from widget.app import MissingSecretKey
from widget.core.settings import ROOT, SETTINGS, InvalidSetting, load_settings, sqlalchemy_url

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


# --- settings that refuse typos ------------------------------------------------------------


@pytest.mark.parametrize("setting", SETTINGS, ids=lambda s: s.name)
def test_a_bad_value_for_any_setting_stops_start_up_naming_it(setting, monkeypatch):
    monkeypatch.setenv(setting.name, setting.kind.bad_example)
    with pytest.raises(InvalidSetting) as refused:
        create_app(
            {"TESTING": True, "DATABASE_URL": "sqlite://"}
            if setting.name != "DATABASE_URL"
            else {"TESTING": True}
        )
    message = str(refused.value)
    assert refused.value.setting == setting.name
    assert message.startswith(f"Setting {setting.name}: ") and "Allowed: " in message
    assert "\n" not in message


@pytest.mark.parametrize(
    "name, value",
    [
        ("SMTP_SECURITY", "tls-typo"),
        ("RATE_LIMIT_PER_IP", "garbage"),
        ("TALLY_SHARDS", "abc"),
        ("TALLY_SHARDS", "0"),
        ("PUBLIC_URL", "sign.example.org"),
        ("COUNT_CACHE_SECONDS", "-1"),
        ("ERASURE_KEEPS_COUNT", "maybe"),
        ("REDIS_URL", "localhost:6379"),
        ("MAIL_FROM", "Petition\r\nBcc: x@evil.example"),
        ("METRICS_ALLOW", "10.0.0.0/8, nonsense"),
    ],
)
def test_the_typos_operators_make_are_refused(name, value, monkeypatch):
    monkeypatch.setenv(name, value)
    with pytest.raises(InvalidSetting) as refused:
        create_app({"TESTING": True, "DATABASE_URL": "sqlite://"})
    assert refused.value.setting == name


def test_values_given_to_the_factory_are_checked_too():
    with pytest.raises(InvalidSetting) as refused:
        create_app({"TESTING": True, "DATABASE_URL": "sqlite://", "TALLY_SHARDS": "8"})
    assert refused.value.setting == "TALLY_SHARDS"  # a string where a number belongs


def test_a_flask_command_with_a_bad_setting_prints_one_line_and_fails(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "petition", "list"],
        cwd=ROOT,
        env={
            **os.environ,
            "SECRET_KEY": "x" * 40,
            "SMTP_SECURITY": "tls-typo",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    assert done.stderr.strip().splitlines() == [
        "Setting SMTP_SECURITY: 'tls-typo' is not one of them. Allowed: none, starttls, ssl."
    ]


def test_config_check_prints_the_effective_settings_with_secrets_masked(runner, app):
    app.config.update(
        SMTP_PASSWORD="hunter2-smtp",
        DATABASE_URL="postgresql://widget:db-password@db.example/widget",
        METRICS_TOKEN="m" * 20,
    )
    result = runner.invoke(args=["config", "check"])
    assert result.exit_code == 0, result.output
    assert "SMTP_PASSWORD\t****" in result.output
    assert "SECRET_KEY\t****" in result.output
    assert "postgresql://widget:****@db.example/widget" in result.output
    for secret in ("hunter2-smtp", "db-password", "m" * 20, app.config["SECRET_KEY"]):
        assert secret not in result.output
    assert "TALLY_SHARDS\t8" in result.output
