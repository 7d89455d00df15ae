"""Every catalogue complete, and every string in the code extracted into them."""

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.plurals import get_plural
from babel.messages.pofile import read_po

from widget.core.settings import ROOT, TRANSLATIONS_DIR
from widget.i18n.locales import EU_LANGUAGES

PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def catalogue(locale: str):
    with open(TRANSLATIONS_DIR / locale / "LC_MESSAGES" / "messages.po", "rb") as f:
        return read_po(f, locale=locale)


def template():
    with open(TRANSLATIONS_DIR / "messages.pot", "rb") as f:
        return read_po(f)


def placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


def test_every_official_eu_language_has_a_catalogue():
    present = {p.parent.parent.name for p in TRANSLATIONS_DIR.glob("*/LC_MESSAGES/messages.po")}
    assert set(EU_LANGUAGES) <= present


@pytest.mark.parametrize("locale", EU_LANGUAGES)
def test_catalogue_is_complete_and_consistent(locale):
    cat = catalogue(locale)
    expected = get_plural(locale)
    assert (cat.num_plurals, cat.plural_expr) == (expected.num_plurals, expected.plural_expr)
    problems = []
    for message in cat:
        if not message.id:
            continue
        key = message.id if isinstance(message.id, str) else message.id[0]
        if message.fuzzy:
            problems.append(f"fuzzy: {key!r}")
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if len(strings) != (cat.num_plurals if message.pluralizable else 1):
            problems.append(f"wrong number of plural forms: {key!r}")
        for text in strings:
            if not text or not text.strip():
                problems.append(f"untranslated: {key!r}")
            elif placeholders(text) != placeholders(key):
                problems.append(f"placeholders differ: {key!r} -> {text!r}")
    missing = {m.id if isinstance(m.id, str) else m.id[0] for m in template() if m.id} - {
        m.id if isinstance(m.id, str) else m.id[0] for m in cat if m.id
    }
    problems += [f"missing: {m!r}" for m in sorted(missing)]
    assert problems == []


def test_no_string_escapes_extraction(tmp_path):
    """The committed template holds exactly what the code and templates mark today."""
    fresh = tmp_path / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "-q",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "_l",
            "--no-location",
            "-o",
            str(fresh),
            ".",
        ],
        cwd=ROOT,
        check=True,
    )
    with open(fresh, "rb") as f:
        extracted = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(f) if m.id}
    committed = {m.id if isinstance(m.id, str) else m.id[0] for m in template() if m.id}
    assert extracted == committed, "run: flask --app wsgi translate update"


def test_compiled_catalogues_are_in_place():
    for locale in EU_LANGUAGES:
        assert (TRANSLATIONS_DIR / locale / "LC_MESSAGES" / "messages.mo").exists(), locale


def test_templates_have_no_untranslated_text():
    """Text between tags in templates must be a {{ _() }} call or a variable."""
    offenders = []
    for path in Path(ROOT / "widget" / "templates").rglob("*.html"):
        source = path.read_text(encoding="utf-8")
        source = re.sub(r"{#.*?#}|{%.*?%}|{{.*?}}", " ", source, flags=re.S)
        source = re.sub(r"<(script|style)\b.*?</\1>", " ", source, flags=re.S)
        for text in re.findall(r">([^<]+)<", source):
            if re.search(r"[A-Za-z]{2,}", text):
                offenders.append(f"{path.name}: {text.strip()!r}")
    assert offenders == []
