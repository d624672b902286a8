"""Atomic model dirs: write everything into a temporary dir, rename it, then repoint ``current``.

A crash at any point leaves either the old ``models/current`` or the new one, never a half
written model: the temporary dir is removed on failure and ``current`` is replaced with an
atomic ``os.replace`` of a symlink.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

CURRENT = "current"


def new_run_name() -> str:
    return datetime.now(UTC).strftime("%Y%m%d-%H%M%S")


def write_model_dir(models_dir: Path, write: Callable[[Path], None], name: str | None = None) -> Path:
    """Call ``write(tmp_dir)``, then publish it as ``models_dir/<name>`` and point ``current`` at it."""
    models_dir.mkdir(parents=True, exist_ok=True)
    name = name or new_run_name()
    final = models_dir / name
    if final.exists():
        raise FileExistsError(f"{final} already exists; refusing to overwrite a trained model")
    temporary = Path(tempfile.mkdtemp(prefix=f".{name}.partial-", dir=models_dir))
    try:
        write(temporary)
        temporary.chmod(0o755)  # mkdtemp makes it private; a model dir is meant to be shared
        os.replace(temporary, final)
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise
    point_current(models_dir, name)
    return final


def point_current(models_dir: Path, name: str) -> None:
    """Atomically make ``models_dir/current`` a relative symlink to ``name``."""
    link = models_dir / CURRENT
    staging = models_dir / f".{CURRENT}.{os.getpid()}"
    if staging.is_symlink() or staging.exists():
        staging.unlink()
    staging.symlink_to(name, target_is_directory=True)
    os.replace(staging, link)
