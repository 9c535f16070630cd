"""Market-data adapters: files, synthetic data and vendors, each behind the provider port."""
