"""The delivery package: a BagIt bag (RFC 8493) of deliverables, subtitles, transcripts, metadata
sheet, QC report and poster frames, with ASCII file names, and its verification for the receiver."""

from __future__ import annotations

from .naming import ascii_name, bag_name
from .verify import VerifyResult, verify_bag

__all__ = ["VerifyResult", "ascii_name", "bag_name", "verify_bag"]
