"""Fine-Tune Studio's core: plain Python, no Qt. Every feature is callable from here."""

__version__ = "0.1.0"
