"""The README's Python example runs as written, against a store where it says the store is."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _python_example() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    after = text[text.index("Use the pieces from Python:"):]
    return re.search(r"```python\n(.*?)```", after, re.S).group(1)


def test_the_readme_python_example_runs_as_written(corpus_settings, tmp_path):
    code = _python_example()
    assert 'Settings(store_dir=".audit-assistant/store")' in code  # a str path, as a user would write it
    shutil.copytree(corpus_settings.store_dir, tmp_path / ".audit-assistant" / "store")
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "£300 million" in out.stdout
