"""The wheel's build step; everything else about the package is in pyproject.toml.

In a checkout static/, translations/ and migrations/ sit at the top level (the layout a
maintainer works in). An installed package has no checkout around it, so the build puts
copies inside the package, in widget/_data/, with each catalogue compiled to .mo and each
language's slice of CLDR written (widget/i18n/cldr.py, which needs only Babel), and
widget.core.settings finds them there. Nothing here runs for an editable install.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
DATA = ("static", "translations", "migrations")


class BuildWithData(build_py):
    def run(self) -> None:
        super().run()
        target = Path(self.build_lib) / "widget" / "_data"
        if target.exists():
            shutil.rmtree(target)
        for name in DATA:
            shutil.copytree(
                ROOT / name,
                target / name,
                ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "cldr.json", "*.mo"),
            )
        _compile_catalogues(target / "translations")


def _compile_catalogues(translations: Path) -> None:
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po in translations.glob("*/LC_MESSAGES/messages.po"):
        with po.open("rb") as source:
            catalogue = read_po(source, locale=po.parent.parent.name)
        with po.with_suffix(".mo").open("wb") as compiled:
            write_mo(compiled, catalogue)
    # The CLDR slices; the module needs Babel and the standard library only.
    sys.path.insert(0, str(ROOT))
    try:
        from widget.i18n.cldr import write_slices

        write_slices(translations_dir=translations)
    finally:
        sys.path.remove(str(ROOT))


setup(cmdclass={"build_py": BuildWithData})
