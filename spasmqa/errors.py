"""The library's own exceptions.

Every error spasmqa raises on purpose derives from :class:`SpasmqaError`,
and also from the built-in class users already catch (``ValueError``,
``TypeError``), so ``except ValueError`` keeps working. The command line
reports these (and ``OSError``) as one line; anything else is a bug and
shows its traceback.
"""

from __future__ import annotations

__all__ = ["SpasmqaError", "InputError", "InputTypeError", "IndexFormatError", "MissingExtraError", "ClusterError"]


class SpasmqaError(Exception):
    """Base class of every error spasmqa raises on purpose."""


class InputError(SpasmqaError, ValueError):
    """A value given to spasmqa is not acceptable (an empty question, k < 1, a bad option)."""


class InputTypeError(SpasmqaError, TypeError):
    """A value given to spasmqa has the wrong type (a number where a question belongs)."""


class IndexFormatError(SpasmqaError, ValueError):
    """A saved index is missing, corrupted, forged, or not readable by this version."""


class MissingExtraError(SpasmqaError, ImportError):
    """An optional feature needs a package that is not installed; names the extra to install."""


class ClusterError(SpasmqaError, RuntimeError):
    """A Dask cluster could not be reached, or a distributed task failed for good (a sharded build)."""


def require(module: str, extra: str, feature: str):
    """Import an optional dependency, or raise :class:`MissingExtraError` naming the extra."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise MissingExtraError(
            f"{feature} needs the package {module.split('.')[0]!r}: pip install \"spasmqa[{extra}]\"") from None
