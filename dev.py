#!/usr/bin/env python3
"""The README's two commands, for a fresh machine with only Python 3.11:

    python3 dev.py serve   # set up, then run the demo (widget + partner pages) on SQLite
    python3 dev.py test    # set up (Chromium too), then run the whole test suite

Both create .venv/ and install the project into it; `test` installs Debian's Chromium and
nginx when they are missing and the machine allows it. Extra arguments to `test` go to pytest.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / "bin"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


def run(*args: str | Path, env: dict | None = None) -> None:
    print("+", " ".join(str(a) for a in args), flush=True)
    subprocess.run([str(a) for a in args], check=True, cwd=ROOT, env=env)


def ensure_venv() -> None:
    """Create .venv and install the locked dependencies (with their hashes), then the
    project itself; again whenever pyproject.toml or the lock file changes."""
    if sys.version_info < (3, 11):  # noqa: UP036 (dev.py may be started by an older python3)
        sys.exit("Python 3.11 or newer is needed.")
    if not (BIN / "python").exists():
        venv.create(VENV, with_pip=True)
    stamp = VENV / ".installed"
    wanted = hashlib.sha256(
        (ROOT / "pyproject.toml").read_bytes() + (ROOT / "requirements-dev.lock").read_bytes()
    ).hexdigest()
    if not stamp.exists() or stamp.read_text() != wanted:
        pip = [BIN / "python", "-m", "pip", "install", "--quiet"]
        # Every package pinned and checked against its hash (requirements-dev.lock, made
        # by pip-compile from pyproject.toml); nothing else is fetched.
        run(*pip, "--require-hashes", "-r", "requirements-dev.lock")
        run(*pip, "--no-deps", "--no-build-isolation", "-e", ".")
        stamp.write_text(wanted)


def compile_translations() -> None:
    run(BIN / "pybabel", "-q", "compile", "-d", "translations")
    # Each language's slice of CLDR the signer pages read (see widget/i18n/cldr.py).
    run(BIN / "python", "-c", "from widget.i18n.cldr import write_slices; write_slices()")


def dev_environment() -> dict[str, str]:
    """Environment for local runs: a secret key kept in .env (which `flask` also reads)."""
    dotenv = ROOT / ".env"
    if not dotenv.exists():
        dotenv.write_text(f"SECRET_KEY={secrets.token_hex(32)}\n")
    env = dict(os.environ)
    for line in dotenv.read_text().splitlines():
        key, _, value = line.partition("=")
        if key and not key.startswith("#"):
            env.setdefault(key.strip(), value.strip())
    return env


# Debian packages the tests drive for real: the browser, the reverse proxy.
SYSTEM_PACKAGES = {"chromium": CHROMIUM, "nginx": "/usr/sbin/nginx"}


def ensure_system_packages() -> None:
    missing = [name for name, path in SYSTEM_PACKAGES.items() if not Path(path).exists()]
    if not missing:
        return
    apt = shutil.which("apt-get")
    if apt and os.geteuid() == 0:
        run(apt, "update", "-qq")
        run(
            apt,
            "install",
            "-y",
            "-qq",
            *missing,
            env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
        )
        return
    sys.exit(
        f"The tests need Debian's {', '.join(missing)} and did not find them.\n"
        f"On Debian/Ubuntu: sudo apt-get install {' '.join(missing)} "
        "(or set CHROMIUM=/path/to/chrome)."
    )


def serve() -> None:
    ensure_venv()
    compile_translations()
    env = dev_environment()
    (ROOT / "instance").mkdir(exist_ok=True)
    run(BIN / "flask", "--app", "wsgi", "db", "upgrade", env=env)
    run(BIN / "flask", "--app", "wsgi", "run-demo", env=env)


def test(pytest_args: list[str]) -> None:
    ensure_venv()
    ensure_system_packages()
    compile_translations()
    run(BIN / "ruff", "check", ".")
    run(BIN / "ruff", "format", "--check", ".")
    # The packages' layers (pyproject.toml, [tool.importlinter]): no wrong-way imports.
    run(BIN / "lint-imports")
    run(BIN / "pytest", *pytest_args)


def main() -> None:
    command, *rest = sys.argv[1:] or ["help"]
    if command == "serve":
        serve()
    elif command == "test":
        test(rest)
    else:
        print(__doc__)
        sys.exit(0 if command in {"help", "-h", "--help"} else 2)


if __name__ == "__main__":
    try:
        main()
    except subprocess.CalledProcessError as exc:
        sys.exit(exc.returncode)
    except KeyboardInterrupt:
        sys.exit(130)
