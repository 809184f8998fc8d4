"""Build hook: a wheel carries the top-level templates/ and responsibilities/ folders.

They stay at the top of the repository (where plan authors and designers find them) and are
copied into ``phancong/_data/`` when a wheel or sdist-built install is made; editable installs
read them in place (``phancong/resources.py``).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

SHIPPED = ("templates", "responsibilities")


class BuildWithShippedData(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        root = Path(__file__).resolve().parent
        for name in SHIPPED:
            target = Path(self.build_lib) / "phancong" / "_data" / name
            shutil.copytree(root / name, target, dirs_exist_ok=True,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))


setup(cmdclass={"build_py": BuildWithShippedData})
