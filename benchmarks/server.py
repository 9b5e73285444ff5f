"""A real Chroma server (`chroma run`) on a free loopback port, for the benchmarks and the server tests."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

__all__ = ["ChromaServer", "chroma_executable", "free_port"]


def chroma_executable() -> Path | None:
    """The `chroma` CLI installed beside this Python (the chromadb package ships it), or on PATH."""
    beside = Path(sys.executable).parent / "chroma"
    if beside.is_file():
        return beside
    found = shutil.which("chroma")
    return Path(found) if found else None


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


class ChromaServer:
    """`chroma run --path DIR --host 127.0.0.1 --port PORT` as a child process; use it as a context manager."""

    def __init__(self, path: Path, host: str = "127.0.0.1", port: int | None = None,
                 executable: Path | None = None):
        self.path = Path(path)
        self.host = host
        self.port = port or free_port(host)
        self.executable = executable or chroma_executable()
        self.log_path = self.path.parent / f"{self.path.name}.log"
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, timeout: float = 90.0) -> "ChromaServer":
        """Start the server and wait until its heartbeat answers; raises RuntimeError with its log if not."""
        if self.executable is None:
            raise RuntimeError("the `chroma` command is not installed (it comes with the chromadb package)")
        self.path.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            [str(self.executable), "run", "--path", str(self.path), "--host", self.host, "--port", str(self.port)],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"chroma run exited with status {self.process.returncode}: {self._log_tail()}")
            if self.alive():
                return self
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"chroma run did not answer on {self.url} within {timeout:.0f} s: {self._log_tail()}")

    def alive(self) -> bool:
        """Whether /api/v2/heartbeat answers."""
        try:
            with urllib.request.urlopen(f"{self.url}/api/v2/heartbeat", timeout=2) as resp:
                return resp.status == 200
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            return False

    def peak_rss_mb(self) -> float | None:
        """The server process's peak resident memory so far (Linux /proc), in MB."""
        if self.process is None or self.process.poll() is not None:
            return None
        try:
            for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
        except OSError:
            return None
        return None

    def stop(self) -> None:
        """Terminate the server (SIGTERM, then SIGKILL after 15 s)."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=15)

    def _log_tail(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-2000:].strip() or "(no output)"
        except OSError:
            return "(no log)"

    def __enter__(self) -> "ChromaServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
