"""Fine-Tune Studio. ``python main.py`` opens the window; ``python main.py COMMAND`` scripts it."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv:
        from backend.cli import run

        return run(argv)
    from ui.app import run_app

    return run_app()


if __name__ == "__main__":
    sys.exit(main())
