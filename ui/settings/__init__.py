"""Settings pages: accounts."""
