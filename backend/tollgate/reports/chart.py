"""The daily chart as inline SVG (pygal): no JavaScript, no external stylesheet or font, the workspace's colour."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pygal
from pygal.style import Style

_SCRIPT = re.compile(r"<script\b.*?</script>|<!--.*?-->", re.DOTALL | re.IGNORECASE)


def daily_svg(daily: list[dict[str, Any]], color: str) -> str:
    style = Style(
        background="white",
        plot_background="white",
        foreground="#374151",
        foreground_strong="#111827",
        foreground_subtle="#e5e7eb",
        colors=(color,),
        font_family="sans-serif",
        label_font_size=10,
        major_label_font_size=10,
        title_font_size=13,
    )
    chart = pygal.Bar(
        style=style,
        width=760,
        height=260,
        show_legend=False,
        js=[],  # pygal links its tooltip script from a CDN by default
        disable_xml_declaration=True,
        title="API-equivalent value per day (USD)",
        x_labels=[entry["day"][-2:] for entry in daily],
        x_labels_major_every=5,
        show_minor_x_labels=False,
        margin=8,
    )
    chart.add("Value", [float(Decimal(entry["value_micros"]) / 1_000_000) for entry in daily])  # plotting only
    return inert(chart.render(is_unicode=True))


def inert(svg: str) -> str:
    """pygal inlines its tooltip config as a script even with js=[], and signs the SVG with comments naming
    itself: both are removed, so the SVG can sit inline in a page or a report without any script."""
    return _SCRIPT.sub("", svg)
