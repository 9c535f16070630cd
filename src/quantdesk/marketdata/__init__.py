"""Market-data adapters: providers of historical bars and live feeds, one module per source."""
