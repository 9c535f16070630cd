"""Use cases, one module per area. Transactions and authorisation live here."""
