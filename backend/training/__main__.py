"""Entry point of the trainer child process: ``python -m backend.training RUN_DIR [--resume]``."""

import sys

if __name__ == "__main__":  # importing this module (as tests that walk the package do) trains nothing
    from backend.training.runner import main

    sys.exit(main())
