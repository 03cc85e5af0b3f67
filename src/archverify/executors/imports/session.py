"""The parent's side of the import server: start it, send modules, read verdicts, stop it."""

from __future__ import annotations

import json
import os
import select
import signal

# The import server is our own script in a fresh interpreter.
import subprocess  # nosec B404
import sys
import time
from pathlib import Path
from typing import Any

from archverify.executors.runtime.children import child_env, parent_death_preexec

WORKER = Path(__file__).with_name("server.py")
# Not given to the server's interpreter, which would act on them before the server's own
# imports (a PYTHONPATH folder's ``json.py``); the server puts them back for the project.
LATE_VARIABLES = ("PYTHONPATH",)
_START_TIMEOUT_S = 60.0


class ServerError(RuntimeError):
    """The import server could not start, or stopped answering; the message says why."""


class ImportServer:
    """One running ``imports/server.py`` process and its line-based JSON protocol."""

    def __init__(self, cwd: Path, config: dict[str, Any], scratch: Path) -> None:
        self._cwd = cwd
        self._stderr_path = scratch / "server.stderr"
        # A file, not an argument: the preload list of a large project outgrows argv limits.
        # The server rewrites it when it has to drop a preload; a restart reuses that.
        self._config_path = scratch / "server.json"
        self._config_path.write_text(json.dumps(config), encoding="utf-8")
        self._proc: subprocess.Popen[bytes] | None = None
        self._buffer = b""
        self.fork = False
        self.preloaded = 0
        self.preload_dropped = 0
        self.preload_tops: dict[str, list[str]] = {}

    def narrow_preload(self, names: list[str]) -> None:
        """Preload only ``names`` (before the first start): fewer preloads change no verdict
        (each is exact alone), and probing and loading those no pending module needs would
        cost a run that imports a few modules more than the imports themselves."""
        config = json.loads(self._config_path.read_text(encoding="utf-8"))
        config["preload"] = names
        self._config_path.write_text(json.dumps(config), encoding="utf-8")

    def start(self) -> None:
        # Tagged, so that what an imported module leaves running is swept with the step.
        env = child_env({"PYTHONDONTWRITEBYTECODE": "1"})
        for name in LATE_VARIABLES:
            env.pop(name, None)
        # Not ``-I``: the user's PYTHON* variables (PYTHONWARNINGS, PYTHONDEVMODE,
        # PYTHONHASHSEED, ...) and user site-packages apply, as they do to ``python -c``.
        args = [sys.executable, str(WORKER), str(self._config_path)]
        try:
            with open(self._stderr_path, "wb") as stderr:
                # Argument list, no shell.
                self._proc = subprocess.Popen(  # nosec B603
                    args,
                    cwd=self._cwd,
                    env=env,
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=stderr,
                    start_new_session=True,
                    preexec_fn=parent_death_preexec(),
                )
        except OSError as exc:
            raise ServerError(f"cannot start the import server ({sys.executable}): {exc}") from exc
        hello = self.receive(_START_TIMEOUT_S)
        if hello is None or not hello.get("ready"):
            self.stop()
            raise ServerError(f"the import server did not start: {self.stderr_tail()}")
        self.fork = bool(hello.get("fork"))
        self.preloaded = int(hello.get("preloaded", 0) or 0)
        self.preload_dropped = int(hello.get("preload_dropped", 0) or 0)
        tops = hello.get("preload_tops")
        if isinstance(tops, dict):
            self.preload_tops = {
                str(k): [str(t) for t in v] for k, v in tops.items() if isinstance(v, list)
            }

    def send(self, job_id: int, module: str) -> None:
        line = json.dumps({"id": job_id, "module": module}) + "\n"
        if self._proc is None or self._proc.stdin is None:
            raise ServerError("the import server is not running")
        try:
            self._proc.stdin.write(line.encode("utf-8"))
            self._proc.stdin.flush()
        except OSError as exc:
            raise ServerError(f"the import server stopped: {self.stderr_tail()}") from exc

    def receive(self, timeout_s: float) -> dict[str, Any] | None:
        """The next message, or None when nothing came within ``timeout_s``.

        Raises ``ServerError`` when the server has exited.
        """
        deadline = time.monotonic() + timeout_s
        while b"\n" not in self._buffer:
            if self._proc is None or self._proc.stdout is None:
                raise ServerError("the import server is not running")
            fd = self._proc.stdout.fileno()
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
                return None
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                code = self._proc.wait()
                raise ServerError(
                    f"the import server exited with status {code}: {self.stderr_tail()}"
                )
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        try:
            message = json.loads(line)
        except ValueError as exc:
            raise ServerError(f"the import server sent garbage: {line[:200]!r}") from exc
        if not isinstance(message, dict):
            raise ServerError(f"the import server sent garbage: {line[:200]!r}")
        return message

    def stop(self) -> None:
        """Close the command pipe (the server then kills its children) and reap it."""
        proc, self._proc = self._proc, None
        self._buffer = b""
        if proc is None:
            return
        try:
            if proc.stdin is not None:
                proc.stdin.close()
        except OSError:
            pass
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except OSError:
                proc.kill()
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()

    def kill(self) -> None:
        """Stop a server that no longer answers; SIGTERM first so that it kills its children."""
        if self._proc is not None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=2)
            except subprocess.TimeoutExpired:
                pass
        self.stop()

    def stderr_tail(self) -> str:
        try:
            text = self._stderr_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return "no error output"
        lines = [line for line in text.strip().splitlines() if line.strip()]
        return " | ".join(lines[-3:]) if lines else "no error output"
