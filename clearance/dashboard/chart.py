"""The hourly chart of the officers' live view, drawn on the server as inline SVG."""

from __future__ import annotations

import html
from collections.abc import Callable
from datetime import datetime
from typing import Any

CHART_COLOURS = ("#1f6feb", "#d4731c", "#2da44e", "#8250df", "#bf3989", "#57606a")


def hourly_chart(hourly: dict[str, Any], translate: Callable[..., str]) -> str:
    """A line chart (inline SVG) of attempts per hour for each checkpoint and direction."""
    width, height, left, bottom, top = 720, 230, 36, 28, 12
    hours = [datetime.fromisoformat(h) for h in hourly["hours"]]
    series = hourly["series"]
    peak = max([max(s["counts"]) for s in series] + [1])
    step = (width - left - 8) / max(len(hours) - 1, 1)

    def y(value: float) -> float:
        return float(top + (height - top - bottom) * (1 - value / peak))

    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height + 20 * ((len(series) + 1) // 2)}" role="img" '
        f'aria-label="{html.escape(translate("Crossings per hour"))}">'
    ]
    for value in sorted({0, (peak + 1) // 2, peak}):
        parts.append(
            f'<line x1="{left}" x2="{width - 8}" y1="{y(value):.1f}" y2="{y(value):.1f}" stroke="#d0d7de"/>'
            f'<text x="{left - 6}" y="{y(value) + 4:.1f}" text-anchor="end" font-size="11">{value:.0f}</text>'
        )
    for i, hour in enumerate(hours):
        if i % 2 == 0 or len(hours) <= 8:
            parts.append(
                f'<text x="{left + i * step:.1f}" y="{height - 8}" text-anchor="middle" font-size="11">'
                f"{hour:%H}:00</text>"
            )
    for n, line in enumerate(series):
        colour = CHART_COLOURS[n % len(CHART_COLOURS)]
        points = " ".join(f"{left + i * step:.1f},{y(v):.1f}" for i, v in enumerate(line["counts"]))
        label = f"{line['checkpoint']} · {translate(line['direction'])} ({sum(line['counts'])})"
        parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{points}"/>')
        lx, ly = left + (n % 2) * 340, height + 14 + 20 * (n // 2)
        parts.append(
            f'<rect x="{lx}" y="{ly - 9}" width="14" height="4" fill="{colour}"/>'
            f'<text x="{lx + 20}" y="{ly - 4}" font-size="12">{html.escape(label)}</text>'
        )
    if not series:
        parts.append(
            f'<text x="{width / 2}" y="{height / 2}" text-anchor="middle" font-size="13">'
            f"{html.escape(translate('No crossings in these hours.'))}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)
