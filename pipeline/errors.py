"""One exception hierarchy: library code raises these, only the CLI turns them into exit codes.

Every error carries the file it is about, what is wrong, and what to do about it, so the CLI can
print a single line an editor can act on.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Failure:
    """A failure as a record carries it (a stage outcome, a failed clip, a batch result): the fields of
    the error that reported it, kept apart, so a reader takes the fix from `hint` instead of
    splitting the printed line."""

    problem: str
    path: str | None = None
    hint: str | None = None

    @property
    def reason(self) -> str:
        """The file and what is wrong with it, without the fix: `file: problem`."""
        return f"{self.path}: {self.problem}" if self.path else self.problem

    def line(self) -> str:
        """The failure as the CLI prints it: `file: problem — fix`."""
        return f"{self.reason} — {self.hint}" if self.hint else self.reason

    def to_json(self) -> dict[str, str | None]:
        return {"problem": self.problem, "path": self.path, "hint": self.hint}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Failure | None:
        """The `problem`, `path` and `hint` of a record; None when it has no problem in them."""
        problem = data.get("problem")
        if not isinstance(problem, str) or not problem:
            return None
        path, hint = data.get("path"), data.get("hint")
        return cls(problem, str(path) if path else None, str(hint) if hint else None)


class ReportageError(Exception):
    """Base of every error the pipeline raises on purpose (user errors, bad media, bad config)."""

    exit_code = 1

    def __init__(self, problem: str, *, path: Path | str | None = None, hint: str | None = None) -> None:
        self.problem = problem
        self.path = str(path) if path is not None else None
        self.hint = hint
        super().__init__(self.one_line())

    def one_line(self) -> str:
        """The message as the CLI prints it: `file: problem — hint`."""
        return self.failure().line()

    def failure(self) -> Failure:
        """The error's fields, for a record to carry."""
        return Failure(self.problem, self.path, self.hint)

    def to_dict(self) -> dict[str, Any]:
        """The error for `--json`: its kind, file, problem, fix, the printed line and the exit code."""
        return {"type": type(self).__name__, "path": self.path, "problem": self.problem, "hint": self.hint,
                "line": self.one_line(), "exit_code": self.exit_code}


class ManifestError(ReportageError):
    """The programme manifest is missing, unreadable or has a field that is wrong."""

    exit_code = 2


class MediaError(ReportageError):
    """A media file is missing, empty, truncated, not media, or cannot be decoded."""


class FFmpegError(MediaError):
    """ffmpeg or ffprobe exited with an error; `stderr_tail` keeps what it said."""

    def __init__(
        self,
        problem: str,
        *,
        path: Path | str | None = None,
        hint: str | None = None,
        argv: list[str] | None = None,
        stderr_tail: str = "",
    ) -> None:
        self.argv = argv or []
        self.stderr_tail = stderr_tail
        super().__init__(problem, path=path, hint=hint)


class ToolMissingError(ReportageError):
    """A required external program (ffmpeg, ffprobe, espeak-ng) is not installed."""

    exit_code = 3


class ModelError(ReportageError):
    """A speech or translation model is missing, incomplete, or fails its checksum."""

    exit_code = 3


class WorkspaceError(ReportageError):
    """The workspace is unusable: a stage's inputs are missing or a file cannot be written."""


class SubtitleError(ReportageError):
    """A subtitle file cannot be read, or breaks a rule that stops the pipeline."""


class NothingProduced(ReportageError):
    """A stage produced nothing where something was expected (`stagerun.enforce`): it fails by
    name, and nothing of 0 bytes is written at a final name."""
