"""HTML, CSV and JSON renderings of one report's figures (`figures.compute`); the PDF is this HTML printed
(`pdf.py`). White-label: the workspace's name, logo, colours and footer; no product or vendor name of ours."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import jinja2
import orjson
from markupsafe import Markup

from .chart import daily_svg


@dataclass(frozen=True, slots=True)
class Brand:
    name: str
    logo_url: str | None
    primary_color: str
    accent_color: str
    footer: str | None


_TEMPLATE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>{{ f.header[0] }}</title>
<style>
  @page { size: A4; margin: 16mm 14mm; }
  body { font-family: sans-serif; color: #111827; font-size: 10.5pt; margin: 0; }
  header { border-bottom: 3px solid {{ brand.accent_color }}; padding-bottom: 8px; margin-bottom: 14px; }
  header img { max-height: 48px; float: right; }
  h1 { color: {{ brand.primary_color }}; font-size: 17pt; margin: 0 0 6px 0; }
  h2 { color: {{ brand.primary_color }}; font-size: 12.5pt; margin: 18px 0 6px 0; }
  .facts p { margin: 2px 0; }
  table { border-collapse: collapse; width: 100%; }
  th, td { text-align: left; padding: 3px 6px; border-bottom: 1px solid #e5e7eb; }
  td.n, th.n { text-align: right; }
  th { color: {{ brand.primary_color }}; }
  footer { margin-top: 24px; color: #6b7280; font-size: 9pt; border-top: 1px solid #e5e7eb; padding-top: 6px; }
</style></head>
<body>
<header>
  {% if brand.logo_url %}<img src="{{ brand.logo_url }}" alt="{{ brand.name }}">{% endif %}
  <h1>{{ f.header[0] }}</h1>
  <div class="facts">{% for line in f.header[1:] %}<p>{{ line }}</p>{% endfor %}</div>
</header>
<h2>By workflow</h2>
{{ table(f.by_workflow, "Workflow") }}
<h2>By model</h2>
{{ table(f.by_model, "Model") }}
<h2>Daily</h2>
<div class="chart">{{ chart | safe }}</div>
<h2>Lanes and fallbacks</h2>
{{ table(f.lanes, "Lane") }}
<p>Requests served by a fallback lane: {{ "{:,}".format(f.fallbacks) }}</p>
<h2>Optimisation hints</h2>
{% if f.hints %}<ul>{% for hint in f.hints %}<li>{{ hint.text }}</li>{% endfor %}</ul>
<p>Estimated monthly saving: {{ money(f.estimated_monthly_saving_micros) }}</p>
{% else %}<p>No changes to suggest this month.</p>{% endif %}
<footer>{{ brand.footer or ("Prepared by " + brand.name) }}</footer>
</body></html>
"""

_TABLE = """<table><thead><tr><th>{{ title }}</th><th class="n">Requests</th><th class="n">Tokens</th>
<th class="n">Value</th></tr></thead><tbody>{% for r in rows %}<tr><td>{{ r.name }}</td>
<td class="n">{{ "{:,}".format(r.requests) }}</td><td class="n">{{ "{:,}".format(r.tokens) }}</td>
<td class="n">{{ r.value }}</td></tr>{% else %}<tr><td colspan="4">No usage.</td></tr>{% endfor %}</tbody></table>"""

_ENV = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)


def _money(micros: int) -> str:
    return f"${Decimal(micros) / 1_000_000:,.2f}"


def html(figures: dict[str, Any], brand: Brand) -> str:
    table = _ENV.from_string(_TABLE)

    def render_table(rows: list[dict[str, Any]], title: str) -> Any:
        return Markup(table.render(rows=rows, title=title))

    return _ENV.from_string(_TEMPLATE).render(
        f=figures,
        brand=brand,
        chart=daily_svg(figures["daily"], brand.accent_color),
        table=render_table,
        money=_money,
    )


def csv_text(figures: dict[str, Any]) -> str:
    """Sections a spreadsheet reads: the header facts, then one table per breakdown."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for line in figures["header"]:
        writer.writerow([_safe(part.strip()) for part in line.split(":", 1)] if ": " in line else [_safe(line)])
    for section, title in (("by_workflow", "Workflow"), ("by_model", "Model"), ("lanes", "Lane")):
        writer.writerow([])
        writer.writerow([title, "Requests", "Tokens", "Value (USD)"])
        for row in figures[section]:
            writer.writerow([_safe(str(row["name"])), row["requests"], row["tokens"], _usd(row["value_micros"])])
    writer.writerow([])
    writer.writerow(["Day", "Requests", "Value (USD)"])
    for day in figures["daily"]:
        writer.writerow([day["day"], day["requests"], _usd(day["value_micros"])])
    writer.writerow([])
    writer.writerow(["Hint", "Estimated monthly saving (USD)"])
    for hint in figures["hints"]:
        writer.writerow([_safe(hint["text"]), _usd(hint["saving_micros"])])
    return buffer.getvalue()


def json_bytes(figures: dict[str, Any]) -> bytes:
    return orjson.dumps(figures)


def _usd(micros: int) -> str:
    return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"


def _safe(text: str) -> str:
    return "'" + text if text.startswith(("=", "+", "-", "@", "\t", "\r")) else text
