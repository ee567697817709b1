from __future__ import annotations

import multiprocessing
import sys

if __name__ == "__main__":
    # Must run first so that spawned training processes start inside a frozen build.
    multiprocessing.freeze_support()
    from sdstudio.cli import main

    sys.exit(main())
