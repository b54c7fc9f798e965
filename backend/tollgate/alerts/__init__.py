"""Alerts: threshold and burn-rate rules over budgets, the events they fire, and signed webhook delivery."""
