"""Fine-Tune Studio's Qt shell. Renders and forwards; every decision lives in ``backend``."""
