"""Evaluation: is fine-tuning worth it? The fine-tuned model against the prompt-engineering baselines
(zero-shot, few-shot, retrieval) on a held-out test set, on quality and on measured cost.

``testset`` (the held-out split), ``prompts`` + ``retrieve`` (what each candidate is sent), ``calls`` (one
paced call), ``runner`` (the run, resumable), ``scores`` + ``judge`` (quality), ``report`` (cost and the
verdict), ``export`` (CSV and HTML). Plain Python: the UI and the command line drive the same functions.
"""
