"""Cache and event bus adapters: in-memory for one process, Redis for many."""
