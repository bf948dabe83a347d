"""AutoTrain Advanced as a trainer the app drives: its isolated environment (``env``), its config YAML
(``config`` export, ``importer``), and runs on this computer (``start`` in the app, ``runner`` in the child)."""
