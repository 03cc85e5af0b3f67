"""How the import server names a process an import left running (``imports/leftover-process``).

A process in the middle of ``execve`` has no command line yet: the kernel closes its
close-on-exec descriptors, which is when ``subprocess.Popen`` returns in its parent, before it
lays out the new program's arguments. Seen in the full suite under load: a finding said
"left process N running (?)". A zombie has no command line either, so it stands in here for
that moment (``_describe_process`` itself skips zombies)."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from archverify.executors.imports import server


def test_a_process_without_a_command_line_yet_is_named_by_its_program() -> None:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    try:
        # Exited, not reaped: a zombie, with no command line (as a process mid-exec has none).
        os.waitid(os.P_PID, child.pid, os.WEXITED | os.WNOWAIT)
        named = server._command_line(child.pid)
    finally:
        child.wait()
    assert named.startswith(b"[python") and named.endswith(b"]"), named


def test_a_live_process_is_named_by_its_command_line() -> None:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        deadline = time.monotonic() + 30
        described = server._describe_process(child.pid)
        while described is not None and "sleep" not in described["command"]:
            assert time.monotonic() < deadline, described
            time.sleep(0.01)
            described = server._describe_process(child.pid)
    finally:
        child.kill()
        child.wait()
    assert described is not None
    assert described["command"].endswith("-c import time; time.sleep(30)")
