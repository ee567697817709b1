"""Errors about project and recovery files, with messages for the person."""

from __future__ import annotations

from sdstudio.errors import UserFacingError


class ProjectFileError(UserFacingError):
    """A project file that cannot be opened: damaged, not a project, or too new."""


class ProjectSaveError(UserFacingError):
    """A project (or autosave) that could not be written; the previous file is intact."""
