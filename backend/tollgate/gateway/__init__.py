"""The OpenAI-compatible surface (/v1): authentication, attribution, routing, proxying, streaming.

The blueprint lives in `gateway.views`; this package imports nothing so its modules can be used alone.
"""
