"""The chat playground: compare models side by side."""
