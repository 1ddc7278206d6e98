"""The README's two commands, as a new user runs them: in a fresh clone of the repository."""

from __future__ import annotations

import os
import pwd
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    block = re.search(r"```bash\n(.*?)```", text, re.S)
    assert block, "README.md has no bash block"
    return [line.split("#")[0].strip() for line in block.group(1).splitlines() if line.strip()]


def test_readme_opens_with_the_two_commands_and_ci_runs_the_second():
    assert readme_commands()[:2] == ["bash scripts/demo.sh", "bash scripts/test.sh"]
    ci = (ROOT / ".ci" / "run").read_text()
    assert "bash scripts/test.sh" in ci


@pytest.mark.browser
def test_the_first_command_works_in_a_fresh_clone(tmp_path: Path):
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
    # The clone installs everything into its own new .venv; the user's pip cache (not the
    # tests' isolated HOME) keeps that to a minute or two.
    real_home = pwd.getpwuid(os.getuid()).pw_dir
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SKYVERN_", "VIRTUAL_ENV"))}
    env.update(
        PIP_CACHE_DIR=os.environ.get("PIP_CACHE_DIR", f"{real_home}/.cache/pip"),
        SKYVERN_DATA_DIR=str(tmp_path / "data"),
        PATH=":".join(p for p in env.get("PATH", "").split(":") if ".venv" not in p),
        COLUMNS="200",
    )
    env.pop("PYTHONPATH", None)
    result = subprocess.run(
        readme_commands()[0].split(),
        cwd=clone,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    out = result.stdout + result.stderr
    assert result.returncode == 0, out[-4000:]
    assert re.search(r"status:\s+completed in \d+ steps", out), out[-4000:]
    assert re.search(r"extracted:\s+\{'confirmation_number': 'JA-\d+'\}", out), out[-4000:]
    assert (clone / ".venv" / "bin" / "skyvern-core").exists()
