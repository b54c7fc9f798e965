"""The PDF: the report's HTML printed by WeasyPrint (needs Debian's pango libraries). Remote resources are not
fetched except the workspace's logo over HTTPS from a public address, so a report cannot be made to reach
internal addresses."""

from __future__ import annotations

from typing import Any


def _fetcher(url: str, *args: Any, **kwargs: Any) -> Any:
    from weasyprint import default_url_fetcher

    from ..upstream_urls import upstream_url_problem

    if not url.startswith("data:") and (not url.startswith("https://") or upstream_url_problem(url, False)):
        raise ValueError(f"not fetched while printing a report: {url[:40]}")
    return default_url_fetcher(url, *args, timeout=5, **kwargs)


def pdf_bytes(html: str) -> bytes:
    from weasyprint import HTML

    document: bytes = HTML(string=html, url_fetcher=_fetcher).write_pdf()
    return document
