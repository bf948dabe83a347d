"""Entry point of the trainer child process: ``python -m backend.training RUN_DIR [--resume]``."""

import sys

from backend.training.runner import main

sys.exit(main())
