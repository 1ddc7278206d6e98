"""Developer sessions: tests, lint, typecheck, docs (``nox -s NAME``).

``scripts/test.sh`` runs them with ``--no-venv`` inside ``.venv`` (set up by
``scripts/bootstrap.sh``); plain ``nox`` builds a fresh virtualenv per session instead.
"""

from __future__ import annotations

import os

import nox

nox.options.sessions = ["lint", "typecheck", "tests", "docs"]
nox.options.reuse_existing_virtualenvs = True

PACKAGES = ["skyvern_core", "plugins", "tests", "examples", "docs", "noxfile.py"]


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
def docs(session: nox.Session) -> None:
    """The documentation (Sphinx, MyST, furo) into docs/_build/html; a warning fails it.

    It ignores the positional arguments, which ``scripts/test.sh`` passes to pytest.
    """
    _install(session, "-e", ".[docs,all]")
    session.run(
        "sphinx-build", "-W", "--keep-going", "-n", "-b", "html", "docs", "docs/_build/html"
    )
