"""The errors dudl raises for its user, each with a one-line message (the CLI prints it after ``dudl: error:``).

They live in a module of their own, imported by the modules that raise them, so that no module imports another
only for its error class. The package re-exports them: ``dudl.ParamError``, ``dudl.ResultError``,
``dudl.FigureError``.
"""

from __future__ import annotations


class ParamError(ValueError):
    """A parameter value that is not allowed; the message is one line for the user."""


class ResultError(ValueError):
    """A file that is not a valid saved dudl Result; the message is one line for the user."""


class FigureError(RuntimeError):
    """Drawing a Result's figures failed after the Result itself was saved; the message is one line for the user."""
