"""Settings of screening before publication: the caption blocklist and near-copy detection."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field


class ScreeningSettings(BaseModel):
    """Caption checks and the perceptual-hash distance that counts as a near-copy."""

    # A text file, one word or phrase per line; empty: the list shipped with photogate.
    # It is read again whenever it changes, so edits need no restart.
    blocklist_path: Path | None = None
    check_captions: bool = True
    # Email addresses, phone numbers and street addresses in captions.
    check_personal_data: bool = True
    # Bits (of 64) two pHashes may differ in and still be the same picture: resizing and
    # recompressing stay within 2, a crop of a few percent within about 8; different
    # pictures differ in 10 or more (about 32 on average). -1 turns the check off.
    phash_max_distance: int = Field(8, ge=-1, le=32)
