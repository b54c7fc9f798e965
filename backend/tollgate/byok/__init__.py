"""Bring your own key: a client connects its own provider account, Tollgate verifies it and routes the client's
traffic through it (the agency's books show $0 model cost for it).

`guides` (pure: per provider, how to make a least-access key and how to check it), `verify` (the one cheap
provider call), `lanes` (pure: how a client's own keys and the agency's lanes combine), `service` (the changes,
with their audit events and `byok.failed`; used by the admin API and the gateway, reusable by a portal).
"""
