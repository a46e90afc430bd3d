"""Paths shared between machines that mount the same network folder in different places.

Messages on the queue carry paths in a shared form. Each machine says where it mounts each shared
prefix: `REPORTAGE_PATH_MAP="/srv/reportage=/mnt/reportage;/srv/footage=/Volumes/footage"` (or
`--path-map SHARED=LOCAL`, repeatable). `to_shared` turns a local path into the shared form
before it is enqueued, `to_local` turns it back on the worker. A machine whose mounts match the
shared form needs no map at all; a path under no prefix travels unchanged.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath

from ..errors import ReportageError

ENV = "REPORTAGE_PATH_MAP"


def _under(path: str, prefix: str) -> str | None:
    """The rest of `path` below `prefix` ('' for the prefix itself), or None."""
    p, q = PurePosixPath(path), PurePosixPath(prefix)
    if p == q:
        return ""
    try:
        return str(p.relative_to(q))
    except ValueError:
        return None


@dataclass(frozen=True)
class PathMap:
    """Pairs of (shared prefix, local prefix), longest first so the most specific one wins."""

    pairs: tuple[tuple[str, str], ...] = ()

    @classmethod
    def parse(cls, specs: Sequence[str]) -> PathMap:
        pairs = []
        for spec in specs:
            for item in (s.strip() for s in spec.split(";")):
                if not item:
                    continue
                shared, sep, local = item.partition("=")
                if not sep or not shared.startswith("/") or not local.startswith("/"):
                    raise ReportageError(f"path map entry {item!r} is not SHARED=LOCAL with two absolute paths",
                                         path=ENV, hint="e.g. REPORTAGE_PATH_MAP=/srv/reportage=/mnt/reportage")
                pairs.append((shared.rstrip("/") or "/", local.rstrip("/") or "/"))
        return cls(tuple(sorted(pairs, key=lambda p: -len(p[0]))))

    @classmethod
    def from_env_and_options(cls, options: Sequence[str] = ()) -> PathMap:
        env = os.environ.get(ENV, "")
        return cls.parse([env, *options] if env else list(options))

    def _swap(self, path: str, src: int) -> str:
        for pair in sorted(self.pairs, key=lambda p: -len(p[src])):
            rest = _under(path, pair[src])
            if rest is not None:
                return str(PurePosixPath(pair[1 - src]) / rest) if rest else pair[1 - src]
        return path

    def to_shared(self, local: str) -> str:
        return self._swap(local, 1)

    def to_local(self, shared: str) -> str:
        return self._swap(shared, 0)
