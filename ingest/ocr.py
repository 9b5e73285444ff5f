"""OCR for scanned PDFs: Debian's `ocrmypdf` (with `tesseract-ocr`) adds a text layer; nothing is downloaded.

Whether to run it is the user's choice (`audit-assistant ingest --ocr`, `Settings.ocr`), passed down to the
PDF loader by the ingestor.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from assistant.errors import IngestError

INSTALL = "apt-get install ocrmypdf tesseract-ocr tesseract-ocr-eng"
# The longest ocrmypdf may take over one PDF, in seconds (set by hand: tesseract reads a page in a few seconds, so
# ten minutes holds a scanned report of a hundred pages or more). The parse worker's limit grows by this with OCR on.
TIMEOUT_S = 600


def available() -> bool:
    """Whether ocrmypdf and tesseract are installed."""
    return bool(shutil.which("ocrmypdf") and shutil.which("tesseract"))


def no_text_message() -> str:
    """What to do with a PDF that has no text layer."""
    return (f"the PDF has no text layer (scanned?); ingest it with --ocr, which needs ocrmypdf and tesseract "
            f"({INSTALL})")


@contextmanager
def ocr_copy(path: Path, timeout: int = TIMEOUT_S) -> Iterator[Path]:
    """A temporary copy of the PDF with a text layer on every page that had none; pages keep their numbers."""
    if not available():
        raise IngestError(path, f"--ocr needs ocrmypdf and tesseract, which are not installed ({INSTALL})")
    with tempfile.TemporaryDirectory(prefix="audit-assistant-ocr-") as tmp:
        out = Path(tmp) / "ocr.pdf"
        cmd = ["ocrmypdf", "--skip-text", "--output-type", "pdf", "--optimize", "0", "-l", "eng", "--quiet",
               str(path), str(out)]
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired as exc:
            raise IngestError(path, f"OCR took longer than {timeout} s") from exc
        if done.returncode != 0 or not out.exists():
            why = (done.stderr.strip().splitlines() or [f"exit code {done.returncode}"])[-1]
            raise IngestError(path, f"OCR failed: {why}")
        yield out
