"""The HTTP and WebSocket face of QuantDesk."""
