"""Progress events: stages report them, only the CLI draws them (or prints JSON lines)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Progress:
    """`done` of `total` for one task (a clip, a render); units are the stage's choice, named in `unit`."""

    task: str
    done: float
    total: float
    unit: str = "s"


ProgressFn = Callable[[Progress], None]


def ignore(_: Progress) -> None:
    """The default when nobody is watching."""
