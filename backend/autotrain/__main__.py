"""Entry point of an AutoTrain run's driver process: ``python -m backend.autotrain RUN_DIR``."""

import sys

if __name__ == "__main__":  # importing this module (as tests that walk the package do) runs nothing
    from backend.autotrain.runner import main

    sys.exit(main())
