"""Small charts drawn on the server as SVG: no script, no CDN, readable without colour."""

from __future__ import annotations

from django.utils.html import escape

WIDTH, ROW, LABEL = 520, 26, 170


def bar_chart(rows: list[tuple[str, float]], *, title: str, unit: str = "") -> str:
    """A horizontal bar chart; each bar carries its value as text, so no legend is needed."""
    if not rows:
        return f'<p class="empty">{escape(title)}: no data yet.</p>'
    top = max(value for _, value in rows) or 1
    height = ROW * len(rows) + 8
    bars = []
    for i, (label, value) in enumerate(rows):
        y = 4 + i * ROW
        width = max(2, (WIDTH - LABEL - 70) * value / top) if value else 0
        shown = f"{value:g}{unit}"
        short = label if len(label) <= 24 else label[:23] + "…"  # the full label is in the tooltip
        bars.append(
            f'<text x="{LABEL - 8}" y="{y + 16}" text-anchor="end" class="chart-label">{escape(short)}</text>'
            f'<rect x="{LABEL}" y="{y + 3}" width="{width:.1f}" height="{ROW - 8}" class="chart-bar"><title>'
            f"{escape(label)}: {escape(shown)}</title></rect>"
            f'<text x="{LABEL + width + 6:.1f}" y="{y + 16}" class="chart-value">{escape(shown)}</text>'
        )
    return (
        f'<figure class="chart"><figcaption>{escape(title)}</figcaption>'
        f'<svg role="img" aria-label="{escape(title)}" viewBox="0 0 {WIDTH} {height}" width="100%" '
        f'xmlns="http://www.w3.org/2000/svg">{"".join(bars)}</svg></figure>'
    )
