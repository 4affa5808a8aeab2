"""The library's own exception classes.

Every error that spasmqa raises on purpose derives from :class:`SpasmqaError`,
so callers can catch them all at once; each also derives from the built-in
class that describes it best (a bad index is a ``ValueError``).
"""

from __future__ import annotations

__all__ = ["IndexFormatError", "SpasmqaError"]


class SpasmqaError(Exception):
    """Base class of the errors spasmqa raises on purpose."""


class IndexFormatError(SpasmqaError, ValueError):
    """A saved index (or a file in it) is missing, corrupted, hostile, or not readable by this version.

    The message names the file and the problem.
    """
