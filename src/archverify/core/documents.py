"""Reading archverify's own versioned JSON documents (partial reports, durations files).

Each names itself with a ``kind`` and carries its own version number; a document of another
kind or version is refused with a message naming the file and what to do, never a crash."""

from __future__ import annotations

import json
from typing import Any


def versioned_document(
    text: str,
    name: str,
    *,
    kind: str,
    title: str,
    version_key: str,
    version: int,
    advice: str,
    error: type[ValueError],
    not_json: str = "",
) -> dict[str, Any]:
    """The JSON object in ``text`` (from the file ``name``), checked to be a ``kind`` document
    of ``version``; ``error`` naming the file otherwise. ``title`` is what the document is
    ("partial report"), ``advice`` what to do about another version, ``not_json`` what to say
    before "not JSON"."""
    try:
        data = json.loads(text)
    except ValueError as problem:
        raise error(f"{name}: {not_json}not JSON ({problem})") from None
    if not isinstance(data, dict) or data.get("kind") != kind:
        raise error(f'{name}: not an archverify {title} (no "kind": "{kind}")')
    found = data.get(version_key)
    if found != version:
        raise error(f"{name}: {version_key} {found!r}; {advice.format(version=version)}")
    return data
