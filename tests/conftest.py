"""Suite-wide: runs of archverify (in this process and the CLIs it starts) use a test secret.

Without it the cache secret would be created in the real home (``~/.cache/archverify``); the
tests of the secret file itself point ``XDG_CACHE_HOME`` into a temp folder.
"""

from __future__ import annotations

import os

os.environ.setdefault("ARCHVERIFY_CACHE_SECRET", "archverify-test-suite-secret")
