"""Errors of the annotation store: each message names the file and what the user can do."""

from __future__ import annotations


class SidecarError(Exception):
    """An annotation file cannot be read or written; the message is meant for the user."""


class CorruptSidecarError(SidecarError):
    """The file is not valid JSON or does not match the schema; it is kept as it is."""


class NewerSidecarError(SidecarError):
    """The file was written by a newer mammo-viewer (a higher schema version)."""
