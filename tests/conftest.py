"""Suite-wide: runs of archverify (in this process and the CLIs it starts) use a test secret.

Without it the cache secret would be created in the real home (``~/.cache/archverify``); the
tests of the secret file itself point ``XDG_CACHE_HOME`` into a temp folder.
"""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("ARCHVERIFY_CACHE_SECRET", "archverify-test-suite-secret")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="rewrite tests/golden/expected from the current renderers (see tests/golden)",
    )
