"""Where the files that ship with phancong are: templates and the declared plans.

In a checkout (and an editable install) they are the top-level ``templates/`` and
``responsibilities/`` folders; a wheel carries copies under ``phancong/_data/`` (see
``setup.py``). Everything that reads them asks here.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


@cache
def shipped(name: str) -> Path:
    """The shipped folder ``name`` ("templates" or "responsibilities")."""
    packaged = _PACKAGE / "_data" / name
    if packaged.is_dir():
        return packaged
    return _PACKAGE.parent / name


def templates_dir() -> Path:
    return shipped("templates")


def plans_dir() -> Path:
    return shipped("responsibilities")
