"""The local trainer: TRL + PEFT in a detached child process that reports through its run folder.

``python -m backend.training RUN_DIR [--resume]`` runs one training session (``runner``). The
app side prepares the folder (``spec``, ``defaults``), starts and stops the process
(``process``) and reads its ``events.jsonl`` (``events``). Importing this package is light:
torch, transformers and TRL are imported only by the code that trains.
"""
