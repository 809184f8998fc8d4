"""A plan written back as a plan file (YAML), readable by :mod:`phancong.adapters.loader`."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import yaml

from phancong.domain.plan import Plan


class _Dumper(yaml.SafeDumper):
    pass


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def plan_to_data(plan: Plan) -> dict[str, Any]:
    return plan.model_dump(mode="json", exclude_none=True, exclude_defaults=True)


def dump(data: dict[str, Any], header_comment: str = "") -> str:
    text = yaml.dump(
        data,
        Dumper=_Dumper,
        allow_unicode=True,
        sort_keys=False,
        width=100,
        default_flow_style=False,
    )
    comment = "".join(f"# {line}\n" if line else "#\n" for line in header_comment.splitlines())
    return comment + text


def plan_to_yaml(plan: Plan, header_comment: str = "") -> str:
    return dump(plan_to_data(plan), header_comment)


def write_atomically(path: str | Path, text: str) -> None:
    """Write ``text`` to ``path`` whole or not at all (a temporary file renamed into place)."""
    target = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent or ".")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
