"""SD Studio: a desktop AI photo editor.

Importing this package is deliberately cheap: it pulls in neither torch nor Qt.
"""

from __future__ import annotations

__version__ = "0.1.0"
APP_NAME = "SD Studio"
