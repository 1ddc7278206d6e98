"""Developer sessions: tests, lint, typecheck, docs, wheel (``nox -s NAME``).

``scripts/test.sh`` runs them with ``--no-venv`` inside ``.venv`` (set up by
``scripts/bootstrap.sh``); plain ``nox`` builds a fresh virtualenv per session instead.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

import nox

nox.options.sessions = ["lint", "typecheck", "wheel", "tests", "docs"]
nox.options.reuse_existing_virtualenvs = True

PACKAGES = ["skyvern_core", "plugins", "tests", "examples", "docs", "scripts", "noxfile.py"]
ROOT = Path(__file__).resolve().parent
EXTRAS = ["playwright", "selenium", "llm", "postgres", "server", "mcp"]


def _install(session: nox.Session, *args: str) -> None:
    # With --no-venv the session runs in the already prepared environment.
    if session.venv_backend not in ("none", None):
        session.install(*args)


@nox.session
def tests(session: nox.Session) -> None:
    """The whole test suite (real Chromium, real SQLite; workers in parallel)."""
    _install(session, "-e", ".[dev]")
    env = {"LITELLM_LOCAL_MODEL_COST_MAP": "True", "SE_OFFLINE": "true", "SE_AVOID_STATS": "true"}
    workers = os.environ.get("SKYVERN_TEST_WORKERS", "2")
    args = session.posargs or ["-n", workers, "--dist", "loadgroup"]
    session.run("python", "-m", "pytest", *args, env=env)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff: lint and formatting."""
    _install(session, "ruff")
    session.run("ruff", "check", *PACKAGES)
    session.run("ruff", "format", "--check", *PACKAGES)


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy on the library and the built-in plugins."""
    _install(session, "-e", ".[dev]")
    session.run("mypy")


@nox.session
def wheel(session: nox.Session) -> None:
    """The wheel as users get it: built, then installed bare and with each extra alone
    (playwright, selenium, llm, postgres, server, mcp), each in a fresh virtualenv, where
    ``scripts/check_wheel.py`` imports the package, runs ``skyvern-core --help`` and
    ``skyvern-core plugins``, and checks that every backend names its missing extra.

    uv makes the virtualenvs and installs (its cache, ``UV_CACHE_DIR`` or ``~/.cache/uv``,
    is shared by every run). It ignores the positional arguments.
    """
    _install(session, "uv")
    work = Path(tempfile.mkdtemp(prefix="skyvern-wheel-"))
    # The installed wheel alone must be imported: nothing from this source tree.
    env = {"PYTHONPATH": "", "UV_PYTHON_DOWNLOADS": "never", "VIRTUAL_ENV": ""}
    try:
        session.run("uv", "build", "--quiet", "--wheel", "--out-dir", str(work), str(ROOT))
        (built,) = work.glob("skyvern_core-*.whl")
        for extra in ["none", *EXTRAS]:
            venv = work / f"venv-{extra}"
            python = str(venv / "bin" / "python")
            session.log(f"installing the wheel with extra: {extra}")
            session.run("uv", "venv", "--quiet", "--python", sys.executable, str(venv), env=env)
            target = str(built) if extra == "none" else f"skyvern-core[{extra}] @ {built.as_uri()}"
            session.run("uv", "pip", "install", "--quiet", "--python", python, target, env=env)
            session.run(
                python, str(ROOT / "scripts" / "check_wheel.py"), extra, env=env, external=True
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)


@nox.session
def docs(session: nox.Session) -> None:
    """The documentation (Sphinx, MyST, furo) into docs/_build/html; a warning fails it.

    It ignores the positional arguments, which ``scripts/test.sh`` passes to pytest.
    """
    _install(session, "-e", ".[docs,all]")
    session.run(
        "sphinx-build", "-W", "--keep-going", "-n", "-b", "html", "docs", "docs/_build/html"
    )
