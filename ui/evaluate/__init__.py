"""The Evaluate page: the fine-tuned model against prompting baselines, on quality and on cost."""
