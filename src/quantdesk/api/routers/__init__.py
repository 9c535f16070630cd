"""One router per API area."""
