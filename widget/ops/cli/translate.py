"""`flask translate …`: extract, update and compile the message catalogues (in a checkout)."""

from __future__ import annotations

import subprocess
import sys

import click

from widget.core.settings import ROOT, TRANSLATIONS_DIR
from widget.i18n.cldr import write_slices
from widget.i18n.locales import fill_source_catalogue

translate_cli = click.Group("translate", help="Extract, update and compile message catalogues.")
POT = ROOT / "translations" / "messages.pot"


def _pybabel(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", *args], check=True, cwd=ROOT)


@translate_cli.command("extract")
def translate_extract():
    """Collect translatable strings into translations/messages.pot."""
    _pybabel("extract", "-F", "babel.cfg", "-k", "_l", "--no-location", "-o", str(POT), ".")


@translate_cli.command("update")
def translate_update():
    """Extract, then merge new strings into every catalogue."""
    translate_extract.callback()
    _pybabel(
        "update",
        "-i",
        str(POT),
        "-d",
        str(TRANSLATIONS_DIR),
        "--no-fuzzy-matching",
        "--ignore-obsolete",
    )
    filled = fill_source_catalogue(TRANSLATIONS_DIR)
    click.echo(f"en: {filled} new source strings copied; translate the other catalogues")


@translate_cli.command("init")
@click.argument("locale")
def translate_init(locale):
    """Start a catalogue for a new language (no code change needed)."""
    _pybabel("init", "-i", str(POT), "-d", str(TRANSLATIONS_DIR), "-l", locale)


@translate_cli.command("compile")
def translate_compile():
    """Compile every catalogue to .mo and write each language's slice of CLDR (both
    needed before serving)."""
    _pybabel("compile", "-d", str(TRANSLATIONS_DIR), "--statistics")
    write_slices()
