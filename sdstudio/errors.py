"""Errors whose message is written for the person using the app.

Every layer raises a subclass of :class:`UserFacingError` for bad input; the GUI shows
``str(error)`` in a dialog and the CLI prints it on one line and exits non-zero.
"""

from __future__ import annotations


class UserFacingError(Exception):
    """An error caused by input or environment, with a message a person can act on."""


class ImageLoadError(UserFacingError):
    pass


class ImageSaveError(UserFacingError):
    pass


class MaskError(UserFacingError):
    pass


class ModelLoadError(UserFacingError):
    pass


class UnknownNameError(UserFacingError):
    """An unknown style preset, method or model name."""


class JobCancelled(Exception):
    """Raised inside a job when the user cancels it; never shown as an error."""


class TrainingDataError(UserFacingError):
    pass
