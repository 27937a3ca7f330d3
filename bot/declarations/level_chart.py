"""A member's level profile as a PNG: one bar per competence, validated level solid, declared level light.

Drawn like the digest chart (`bot/digest/chart.py`): matplotlib's object API on the Agg canvas, no
pyplot global state, so it is safe inside the bot's worker thread.
"""

from __future__ import annotations

import io
from collections.abc import Mapping

from bot.digest.chart import DPI
from bot.referential import Referential

DOMAIN_COLOURS = ("#4C72B0", "#55A868", "#C44E52", "#8172B2", "#CCB974", "#64B5CD", "#8C8C8C")


def profile_png(
    ref: Referential, validated: Mapping[str, int], declared: Mapping[str, int], title: str = ""
) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    competences = ref.competences()
    top = max(ref.level_numbers() or [1])
    fig = Figure(figsize=(9, 0.32 * len(competences) + 1.2), dpi=DPI)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ys = list(range(len(competences)))[::-1]
    domain_index = {d.code: i for i, d in enumerate(ref.domains)}
    for y, competence in zip(ys, competences, strict=True):
        colour = DOMAIN_COLOURS[domain_index.get(competence.domain, 0) % len(DOMAIN_COLOURS)]
        ax.barh(y, declared.get(competence.code, 0), color=colour, alpha=0.25, height=0.7)
        ax.barh(y, validated.get(competence.code, 0), color=colour, height=0.7)
    ax.set_yticks(ys, [f"{c.code} {c.label[:38]}" for c in competences], fontsize=7)
    ax.set_xlim(0, top)
    ax.set_xticks(range(0, top + 1))
    ax.set_xlabel("niveau (plein : validé · clair : déclaré)", fontsize=8)
    ax.grid(axis="x", alpha=0.3)
    ax.set_title(f"{title} — {ref.title}" if title else ref.title, fontsize=9)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()
