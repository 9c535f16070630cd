"""The seams between QuantDesk's core and the outside world, as Protocols."""
