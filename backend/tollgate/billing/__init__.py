"""Billing arithmetic: plans, invoice drafts and their accounting exports. Pure: no Flask, no database, no
clock. The database side (plans in effect, usage per project, stored drafts) is `tollgate.invoicing`."""
