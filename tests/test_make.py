"""`make run` installs only what the product needs; `make test` adds the test extras (a dry run of make)."""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _dry_run(target: str, venv: Path) -> str:
    out = subprocess.run(["make", "-n", target, f"VENV={venv}"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_run_installs_the_runtime_and_test_adds_the_extras(tmp_path):
    run = _dry_run("run", tmp_path / "venv")
    assert "pip install --quiet -e ." in run and "[test]" not in run
    assert "pip install --quiet -e '.[test]'" in _dry_run("test", tmp_path / "venv")
