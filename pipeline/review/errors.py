"""Refusals of the review room, each with the HTTP status the page gets (and a one-line reason)."""

from __future__ import annotations

from typing import Any

from ..errors import ReportageError


class ReviewRefused(ReportageError):
    """A request the review room will not carry out; nothing has been written."""

    status = 400

    def details(self) -> dict[str, Any]:
        """What the page gets besides the reason and the hint (nothing, for most refusals)."""
        return {}


class NotFound(ReviewRefused):
    """No such programme, cue or file (or one outside the workspace)."""

    status = 404


class Conflict(ReviewRefused):
    """Someone saved this cue since the page read it: the page must reload it, not overwrite it."""

    status = 409


class Invalid(ReviewRefused):
    """The request is understood but its values cannot be used (times out of order, empty text)."""

    status = 422


class Unchanged(Invalid):
    """A save that changes nothing: text pasted in another Unicode form (decomposed Vietnamese reads
    the same once NFC) or the cue as it was. Not a failure: the page says so calmly."""

    def details(self) -> dict[str, Any]:
        return {"unchanged": True}


class Blocked(ReviewRefused):
    """An approval with something still standing in its way (`review.obstacles`): the page gets the
    obstacles left, each with what to do about it."""

    status = 409

    def __init__(self, problem: str, *, hint: str | None = None, obstacles: list[dict[str, Any]]) -> None:
        super().__init__(problem, hint=hint)
        self.obstacles = obstacles

    def details(self) -> dict[str, Any]:
        return {"obstacles": self.obstacles}


class Busy(ReviewRefused):
    """Another process (a `reportage run`) holds the programme's lock right now."""

    status = 423
