"""Append-only JSONL logs that survive a kill of the writer: the output of batch scoring.

Each line is written with one ``write`` on an unbuffered file and ``sync`` fsyncs, so a run
killed at any instant (SIGKILL included) leaves at most one partial last line per file;
:meth:`LineLog.recover` cuts it and returns the keys of the complete lines, which is how a
rerun knows what is done.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

# The id is the first key of every output line, so a resume reads it without parsing the line.
_LEADING_ID = re.compile(rb'^\{"id": ("(?:[^"\\]|\\.)*")')


def errors_path(out: Path) -> Path:
    return out.with_name(out.name + ".errors.jsonl")


class LineLog:
    """An append-only JSONL file whose lines survive a kill of the writer: one ``write`` per
    line on an unbuffered file, ``sync`` to fsync. ``recover`` truncates a partial last line."""

    def __init__(self, path: Path):
        self.path = path
        self.handle = None

    def recover(self, key) -> set:
        """Return ``key(line_bytes, full)`` of every complete line; truncate a partial or
        unparsable last line. An unparsable line before the last is not a kill's doing: raise
        ValueError. ``key`` raises ValueError or TypeError for a line it cannot read."""
        keys: set = set()
        if not self.path.exists():
            return keys
        with open(self.path, "r+b") as handle:
            offset, previous = 0, None
            for number, line in enumerate(handle, start=1):
                if previous is not None:
                    keys.add(self._key(key, *previous))
                previous = (number, line)
                offset += len(line)
            if previous is None:
                return keys
            number, line = previous
            try:
                if not line.endswith(b"\n"):
                    raise ValueError("no newline")
                keys.add(self._key(key, number, line, full=True))
            except (ValueError, TypeError):
                handle.truncate(offset - len(line))
        return keys

    def _key(self, key, number: int, line: bytes, full: bool = False):
        try:
            return key(line, full)
        except (ValueError, TypeError) as error:
            if full:
                raise
            raise ValueError(f"{self.path}:{number} is not a JSON line ({error}); only the last line "
                             "can be cut by a kill, so this file was edited or damaged") from None

    def open(self) -> LineLog:
        # Held open for the whole run and closed by close(); unbuffered, so write == os.write.
        self.handle = open(self.path, "ab", buffering=0)  # noqa: SIM115
        return self

    def write(self, record: dict) -> None:
        data = (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8")
        self.write_line(data)

    def write_line(self, data: bytes) -> None:
        written = self.handle.write(data)
        if written != len(data):  # a regular file takes it all; anything else is an I/O fault
            raise OSError(f"short write to {self.path}: {written} of {len(data)} bytes")

    def sync(self) -> None:
        os.fsync(self.handle.fileno())

    def close(self) -> None:
        if self.handle is not None:
            self.handle.close()


def output_id(line: bytes, full: bool) -> str:
    match = None if full else _LEADING_ID.match(line)
    if match:
        return json.loads(match.group(1))
    value = json.loads(line)  # JSONDecodeError is a ValueError
    if not isinstance(value, dict) or not isinstance(value.get("id"), str):
        raise TypeError("no string id")
    return value["id"]


def error_position(line: bytes, full: bool) -> tuple:
    value = json.loads(line)
    if not isinstance(value, dict) or "file" not in value:
        raise TypeError("no file")
    return value["file"], value.get("line")
