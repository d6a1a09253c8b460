"""A real ``tdcoord serve`` process on a free loopback port (for the soak, crash and browser
tests)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.service.conftest import SMALL_STUDY


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """A running server process."""

    def __init__(self, db_url: str, log: Path, *, demo: bool = False) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        exe = Path(sys.executable).with_name("tdcoord")
        args = [str(exe), "serve", "--study", str(SMALL_STUDY),
                "--db", db_url, "--port", str(self.port)]
        if demo:
            args.append("--demo")
        self._log = log.open("ab")
        self.proc = subprocess.Popen(args, stdout=self._log, stderr=subprocess.STDOUT,
                                     env=os.environ | {"PYTHONUNBUFFERED": "1"})

    def wait_ready(self, timeout_s: float = 120.0) -> None:
        """Wait until ``/healthz`` answers."""
        end = time.monotonic() + timeout_s
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}")
            try:
                if httpx.get(self.url + "/healthz", timeout=1.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise TimeoutError("server did not start")

    def kill(self) -> None:
        """SIGKILL (no clean-up in the server)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=30)
        self._log.close()

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if it lingers."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self._log.close()


@contextmanager
def serving(db_url: str, log: Path, *, demo: bool = False) -> Iterator[Server]:
    """A ready server, stopped at exit."""
    srv = Server(db_url, log, demo=demo)
    try:
        srv.wait_ready()
        yield srv
    finally:
        srv.stop()
