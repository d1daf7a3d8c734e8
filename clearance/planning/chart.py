"""A plan as a picture (SVG, drawn here, nothing fetched): people arriving per 15 minutes as grey
bars, and for each number of lanes simulated the 95th-percentile wait of the people arriving in
those 15 minutes, against the target."""

from __future__ import annotations

import html

from clearance.planning.simulation import Plan

LINE_COLOURS = ("#cf222e", "#d4731c", "#2da44e", "#1f6feb", "#8250df")


def plan_chart(plan: Plan) -> str:
    width, height, left, right, top, bottom = 760, 300, 52, 56, 34, 40
    profile = plan.profile
    shown = plan.outcomes[-len(LINE_COLOURS) :]
    bins = len(profile.counts)
    slot = (width - left - right) / bins
    longest = max([o.bin_wait_p95[b] for o in shown for b in range(bins)] + [plan.target_p95 * 1.5])
    busiest = max(profile.counts) or 1.0

    def wait_y(seconds: float) -> float:
        return top + (height - top - bottom) * (1 - min(seconds, longest) / longest)

    def count_y(people: float) -> float:
        return top + (height - top - bottom) * (1 - people / busiest)

    legend_rows = (len(shown) + 2) // 3
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height + 22 * legend_rows}" '
        f'font-family="sans-serif" font-size="12" role="img" aria-label="Queue plan">',
        f'<rect width="{width}" height="{height + 22 * legend_rows}" fill="#ffffff"/>',
        f'<text x="{left}" y="16" font-size="14">{html.escape(profile.source)}</text>',
    ]
    for b, people in enumerate(profile.counts):
        x = left + b * slot
        out.append(
            f'<rect x="{x + 1:.1f}" y="{count_y(people):.1f}" width="{max(slot - 2, 1):.1f}" '
            f'height="{height - bottom - count_y(people):.1f}" fill="#d0d7de"/>'
        )
        if b % 2 == 0:
            out.append(
                f'<text x="{x:.1f}" y="{height - bottom + 16}" text-anchor="middle">{profile.label(b)}</text>'
            )
    for fraction in (0, 0.5, 1):
        seconds, people = longest * fraction, busiest * fraction
        out.append(
            f'<text x="{left - 6}" y="{wait_y(seconds) + 4:.1f}" text-anchor="end">{seconds:.0f} s</text>'
            f'<text x="{width - right + 6}" y="{count_y(people) + 4:.1f}" fill="#57606a">{people:.0f}</text>'
        )
    target = wait_y(plan.target_p95)
    out.append(
        f'<line x1="{left}" x2="{width - right}" y1="{target:.1f}" y2="{target:.1f}" stroke="#24292f" '
        f'stroke-dasharray="6 4"/>'
        f'<text x="{left + 4}" y="{target - 5:.1f}">target {plan.target_p95:.0f} s</text>'
    )
    for n, outcome in enumerate(shown):
        colour = LINE_COLOURS[n]
        points = " ".join(
            f"{left + (b + 0.5) * slot:.1f},{wait_y(wait):.1f}" for b, wait in enumerate(outcome.bin_wait_p95)
        )
        out.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{points}"/>')
        label = f"{outcome.kiosks} kiosk(s): p95 wait {outcome.wait_p95:.0f} s"
        if outcome.kiosks == plan.kiosks:
            label += " (the plan)"
        lx, ly = left + (n % 3) * 230, height + 12 + 22 * (n // 3)
        out.append(
            f'<rect x="{lx}" y="{ly - 6}" width="14" height="4" fill="{colour}"/>'
            f'<text x="{lx + 20}" y="{ly}">{html.escape(label)}</text>'
        )
    out.append(
        f'<text x="{width - 4}" y="{top - 10}" text-anchor="end" fill="#57606a">people / 15 min</text>'
        f'<text x="4" y="{top - 10}">wait p95</text></svg>'
    )
    return "".join(out)
