"""Charts for the dashboard as inline SVG, drawn on the server with pygal (as the reports' chart): no
JavaScript, nothing fetched from elsewhere. Money arrives as integer micro-dollars; floats only for plotting."""

from __future__ import annotations

from collections.abc import Sequence

import pygal
from pygal.style import Style

from ..reports.chart import inert

_STYLE = Style(
    background="white",
    plot_background="white",
    foreground="#1f2937",
    foreground_strong="#111827",
    foreground_subtle="#e5e7eb",
    colors=("#1d4ed8", "#b45309", "#047857", "#7c3aed", "#be123c"),
    font_family="sans-serif",
    label_font_size=11,
    major_label_font_size=11,
    title_font_size=14,
)


def bars_svg(title: str, labels: Sequence[str], micros: Sequence[int], *, horizontal: bool = False) -> str:
    """One series of dollar amounts as bars (by day, by model, by client)."""
    kind = pygal.HorizontalBar if horizontal else pygal.Bar
    chart = kind(
        style=_STYLE,
        width=720,
        height=260 if not horizontal else max(160, 40 + 28 * len(labels)),
        show_legend=False,
        js=[],
        disable_xml_declaration=True,
        title=title,
        x_labels=list(labels),
        x_labels_major_every=max(1, len(labels) // 8) if not horizontal else None,
        show_minor_x_labels=horizontal,
        value_formatter=lambda value: f"${value:,.2f}",
        margin=8,
    )
    chart.add("USD", [m / 1_000_000 for m in micros])
    return inert(chart.render(is_unicode=True))
