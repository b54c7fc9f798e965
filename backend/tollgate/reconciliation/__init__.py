"""Reconciliation: Tollgate's metered cost of a lane against the provider's own usage/cost report, per UTC day
and model. `compare` is the pure arithmetic, `provider_api` fetches reports, `csv_import` reads exports,
`tollgate_side` queries the request log, `runs` ties them together, stores a run and fires `reconciliation.gap`.
"""
