"""Budgets and rate limits: the ledger that decides whether a request may spend, and its two stores."""
