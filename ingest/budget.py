"""Parsing under a budget: each file is read by `ingest.loaders.load_file` in a worker process with a memory
limit (RLIMIT_AS), a time limit, and limits on the characters it may yield per page and per document.

A small file can still exhaust the machine: a 200 KB PDF whose page is one 60 MB string, a PDF of 5,000 pages
sharing one 70 MB content stream, HTML nested 100,000 deep. The size limit cannot see these; the budget can.
A file over it fails with one line naming the limit (and the variable that raises it), and the worker is
replaced, so the next file is read as usual.

One worker serves a whole ingest: starting a process and importing the PDF libraries costs far more than
sending a file name and getting its pages back. It is a fresh interpreter (`python -c`, not multiprocessing,
whose 'spawn' and 'forkserver' re-import the caller's main script: a script without an `if __name__ ==
"__main__"` guard would then fail), holds no copy of the embedding model, speaks pickles over its stdin and
stdout, and leaves by itself after `IDLE_S` seconds without work.
"""

from __future__ import annotations

import atexit
import os
import pickle
import select
import struct
import subprocess
import sys
import tempfile
import threading
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

from assistant.config import Settings
from assistant.errors import IngestError
from ingest import loaders
from ingest.ocr import TIMEOUT_S as OCR_TIMEOUT_S  # added to the parse time when OCR is on

IDLE_S = 60.0  # a worker with nothing to do for this long exits; the next file starts a fresh one
CLOSE_WAIT_S = 2  # a worker told to stop (its input closed) has this long to exit before it is killed


def env_name(field: str) -> str:
    """The environment variable that sets a Settings field, for error messages."""
    return f"AUDIT_ASSISTANT_{field.upper()}"


def check_text(path: Path, doc: loaders.LoadedDocument, settings: Settings) -> None:
    """Refuse a document whose pages or whole text are over the character limits."""
    total = 0
    for page in doc.pages:
        n = len(page.text)
        # Text and HTML are one page (number None) as long as the document: only the document limit holds.
        if n > settings.max_page_chars and page.number is not None:
            raise IngestError(path, f"page {page.number} has {n:,} characters, over the "
                                    f"{settings.max_page_chars:,}-character page limit ({env_name('max_page_chars')})")
        total += n
    if total > settings.max_doc_chars:
        raise IngestError(path, f"the document has {total:,} characters, over the {settings.max_doc_chars:,}-character "
                                f"limit ({env_name('max_doc_chars')})")


def check_chunks(path: Path, n: int, settings: Settings) -> None:
    """Refuse a document once it makes more chunks than the limit (called as chunks are made)."""
    if n > settings.max_chunks_per_doc:
        raise IngestError(path, f"the document makes over {settings.max_chunks_per_doc:,} chunks, the limit "
                                f"({env_name('max_chunks_per_doc')})")


def load(path: Path, settings: Settings, loader=loaders.load_file) -> loaders.LoadedDocument:
    """The file's pages, read in the worker under the settings' time and memory budget.

    A loader other than `ingest.loaders.load_file` (a test's substitute) runs in this process, with the
    character limits only. Inside `reusing(path, doc, settings)` on this thread, the same unchanged file under
    the same settings is not read again: that read's result is returned."""
    held = getattr(_reused, "held", None)
    if held is not None and held[0] is not None and held[0] == _identity(path) and held[2] == settings:
        return held[1]
    kwargs = {"max_pdf_pages": settings.max_pdf_pages, "max_bytes": int(settings.max_file_mb * 1e6),
              "ocr": settings.ocr, "max_page_stream_mb": settings.max_page_stream_mb,
              "max_doc_stream_mb": settings.max_doc_stream_mb}
    if loader is not loaders.load_file:
        doc = loader(path, **kwargs)
        check_text(path, doc, settings)
        return doc
    with _lock:
        return _pool.run(Path(path), kwargs, settings)


@contextmanager
def reusing(path: Path, doc: loaders.LoadedDocument, settings: Settings):
    """Within this block, on this thread, `load` of `path` (unchanged since) under `settings` returns `doc`, a
    result of `load` itself: the UI's upload path reads a file once, under the budget, for both its title and
    its ingest. Other threads (other browser sessions) are not affected."""
    before = getattr(_reused, "held", None)
    _reused.held = (_identity(path), doc, settings)
    try:
        yield
    finally:
        _reused.held = before


def _identity(path: Path) -> tuple | None:
    """A file as itself and as it is now: a rewrite in between makes another identity (None: it is gone)."""
    try:
        path = Path(path).resolve()
        st = path.stat()
    except OSError:
        return None
    return str(path), st.st_size, st.st_mtime_ns, st.st_ino


def shutdown() -> None:
    """Stop the worker now (it also stops by itself when idle, and at exit)."""
    with _lock:
        _pool.close()


class _Pool:
    """At most one worker process, replaced after a timeout, a memory failure or a crash."""

    def __init__(self) -> None:
        self.proc: subprocess.Popen | None = None
        self.memory_mb: int | None = None
        self.stderr = None

    def close(self) -> None:
        if self.proc is not None:
            try:
                self.proc.stdin.close()  # end of input: the worker exits
                self.proc.wait(timeout=CLOSE_WAIT_S)
            except (OSError, subprocess.TimeoutExpired):
                pass
        self._kill()

    def _kill(self) -> None:
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.kill()
            self.proc.wait()
            for f in (self.proc.stdin, self.proc.stdout):
                try:
                    f.close()
                except OSError:
                    pass
        if self.stderr is not None:
            self.stderr.close()
        self.proc = self.stderr = None

    def _start(self, memory_mb: int) -> None:
        root = str(Path(__file__).resolve().parent.parent)  # where `ingest` and `assistant` are imported from
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH")) if p))
        self.stderr = tempfile.TemporaryFile()  # a parser's warnings and a crash's last words, not the user's terminal
        code = f"from ingest.budget import _serve; _serve({int(memory_mb)}, {IDLE_S})"
        self.proc = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self.stderr, env=env)
        self.memory_mb = memory_mb

    def run(self, path: Path, kwargs: dict, settings: Settings) -> loaders.LoadedDocument:
        for attempt in (1, 2):
            if self.proc is None or self.proc.poll() is not None or self.memory_mb != settings.parse_memory_mb:
                self.close()
                self._start(settings.parse_memory_mb)
            try:
                _send(self.proc.stdin, (str(path), kwargs, replace(settings, extra={})))  # no secrets to the worker
                return self._reply(path, settings, kwargs["ocr"])
            except (_IdleExit, BrokenPipeError):  # it left for idleness just as the file was sent: once more
                self._kill()
                if attempt == 2:
                    raise IngestError(path, "the parser process could not be reached") from None
        raise AssertionError("unreachable")

    def _reply(self, path: Path, settings: Settings, ocr: bool):
        timeout = settings.parse_timeout_s + (OCR_TIMEOUT_S if ocr else 0)
        try:
            reply = _receive(self.proc.stdout, timeout)
        except TimeoutError:
            self._kill()
            raise IngestError(path, f"reading the file took longer than the {timeout:g} s limit "
                                    f"({env_name('parse_timeout_s')})") from None
        except EOFError:
            code = self.proc.wait()
            if code == 0:
                raise _IdleExit() from None
            self.stderr.seek(0)
            last = (self.stderr.read().decode("utf-8", "replace").strip().splitlines() or [""])[-1][:200]
            self._kill()
            why = f"signal {-code}" if code < 0 else f"exit code {code}"
            raise IngestError(path, f"the parser process died ({why}{': ' + last if last else ''}); "
                                    f"the memory limit is {settings.parse_memory_mb} MB "
                                    f"({env_name('parse_memory_mb')})") from None
        kind = reply[0]
        if kind == "ok":
            return reply[1]
        if kind == "memory":
            self._kill()  # its heap is fragmented past use: the next file gets a fresh worker
            raise IngestError(path, f"reading the file needs more than the {settings.parse_memory_mb} MB memory "
                                    f"limit ({env_name('parse_memory_mb')})")
        if kind == "ingest":
            raise IngestError(path, reply[1])
        # Another error of a parser: the same line the ingestor writes for one raised in its own process.
        raise IngestError(path, unprocessable(reply[1], reply[2]))


def unprocessable(kind: str, message: str) -> str:
    """One line for an unexpected error of a parser, in the worker or in the ingestor's own process: its kind
    and the start of its message."""
    text = " ".join(message.split())
    return f"the file could not be processed ({kind}{': ' + text[:200] if text else ''})"


class _IdleExit(Exception):
    """The worker exited cleanly (idle) without answering."""


_HEADER = struct.Struct("!Q")


def _send(stream, obj) -> None:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_HEADER.pack(len(data)) + data)
    stream.flush()


def _receive(stream, timeout: float | None):
    """One message from the other side; TimeoutError when none comes in `timeout` s, EOFError when it is gone."""
    import time

    deadline = None if timeout is None else time.monotonic() + timeout
    fd = stream.fileno()
    buf = bytearray()
    need = _HEADER.size
    size = None
    while len(buf) < need:
        left = None if deadline is None else deadline - time.monotonic()
        if left is not None and left <= 0:
            raise TimeoutError
        # poll(), not select(): select() cannot watch a descriptor above 1023, which a long-running server
        # (the UI, a test session) reaches
        poller = select.poll()
        poller.register(fd, select.POLLIN | select.POLLHUP | select.POLLERR)
        ready = poller.poll(None if left is None else max(0, int(left * 1000)))
        if not ready:
            raise TimeoutError
        part = os.read(fd, min(need - len(buf), 1 << 20))
        if not part:
            raise EOFError
        buf += part
        if size is None and len(buf) == _HEADER.size:
            size = _HEADER.unpack(bytes(buf))[0]
            buf.clear()
            need = size
    return pickle.loads(bytes(buf))


def _serve(memory_mb: int, idle_s: float) -> None:
    """The worker's loop: read a file, answer with its pages or why not; exit when idle or told to."""
    import resource

    limit = int(memory_mb) * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    inp = sys.stdin.buffer
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # a library's print() goes to the log, never into the replies
    while True:
        try:
            path, kwargs, settings = _receive(inp, idle_s)
        except (TimeoutError, EOFError):
            return
        path = Path(path)
        try:
            doc = loaders.load_file(path, **kwargs)
            check_text(path, doc, settings)
            reply = ("ok", doc)
        except IngestError as exc:
            reply = ("ingest", exc.reason)
        except MemoryError:
            reply = ("memory",)
        except Exception as exc:  # any parser's own error: reported as that file's failure, the worker goes on
            reply = ("other", type(exc).__name__, str(exc))
        doc = None
        try:
            _send(out, reply)
        except MemoryError:
            _send(out, ("memory",))
        if reply[0] == "memory":
            return


_pool = _Pool()
_lock = threading.Lock()
_reused = threading.local()
atexit.register(shutdown)
