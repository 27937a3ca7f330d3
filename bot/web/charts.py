"""Dashboard images: the weekly promise and the coverage heatmap, as PNG data URIs.

Drawn like the digest chart (`bot/digest/chart.py`: matplotlib's object API on the Agg canvas, its
labels, colours and resolution), so they are safe in a worker thread. Data URIs keep each image
under the page's own scope check and need no inline script or style (CSP `img-src data:`).
"""

from __future__ import annotations

import base64
import io
from typing import Any

from bot.digest.chart import DPI, LABELS

ASKED, BREACH, WITHIN = "#4C72B0", "#C44E52", "#55A868"
EXTRA = {
    "fr": {"breaches": "dépassements", "promise": "Promesse SOS, semaine par semaine", "group": "groupe",
           "cohort": "cohorte", "no_group": "sans groupe", "heatmap": "Compétences abordées : domaines × groupes"},
    "en": {"breaches": "breaches", "promise": "SOS promise, week by week", "group": "group",
           "cohort": "cohort", "no_group": "no group", "heatmap": "Competences touched: domains × groups"},
}


def _png(fig: Any) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def promise_chart(weeks: list[dict[str, Any]], lang: str) -> str | None:
    """Questions and breaches per week (bars) and the share answered within the delay (line)."""
    if not weeks:
        return None
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    text, extra = LABELS.get(lang, LABELS["fr"]), EXTRA.get(lang, EXTRA["fr"])
    fig = Figure(figsize=(10, 3.6), dpi=DPI)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    xs = list(range(len(weeks)))
    ax.bar([x - 0.2 for x in xs], [w["questions"] for w in weeks], width=0.4, color=ASKED, label=text["asked"])
    ax.bar([x + 0.2 for x in xs], [w["breaches"] for w in weeks], width=0.4, color=BREACH, label=extra["breaches"])
    step = max(1, len(weeks) // 12)
    ax.set_xticks(xs[::step], [w["monday"].strftime("%d/%m") for w in weeks][::step], fontsize=8)
    ax.set_ylabel(text["count"])
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_title(extra["promise"])
    share = ax.twinx()
    points = [(x, 100 * w["within"]) for x, w in zip(xs, weeks, strict=True) if w["within"] is not None]
    if points:
        share.plot([p[0] for p in points], [p[1] for p in points], color=WITHIN, marker="o", label=text["within"])
    share.set_ylim(0, 105)
    share.set_ylabel("%")
    handles, labels = ax.get_legend_handles_labels()
    more_handles, more_labels = share.get_legend_handles_labels()
    ax.legend(handles + more_handles, labels + more_labels, loc="upper center", bbox_to_anchor=(0.5, -0.1),
              ncol=3, fontsize=8, frameon=False)
    fig.tight_layout()
    return _png(fig)


def coverage_chart(coverage: dict[str, Any], lang: str) -> str | None:
    """Domains (rows) × groups (columns), coloured by the share of competences touched."""
    if not coverage["rows"]:
        return None
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    extra = EXTRA.get(lang, EXTRA["fr"])
    groups = [g or (extra["cohort"] if coverage["cohort_only"] else extra["no_group"]) for g in coverage["groups"]]
    values = [[cell["share"] for cell in row["cells"]] for row in coverage["rows"]]
    fig = Figure(figsize=(min(10, 2.5 + 1.3 * len(groups)), 0.9 + 0.45 * len(values)), dpi=DPI)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.imshow(values, cmap="YlGn", vmin=0, vmax=1, aspect="auto")
    ax.set_xticks(range(len(groups)), groups, fontsize=9)
    ax.set_yticks(range(len(values)), [row["domain"] for row in coverage["rows"]], fontsize=9)
    for y, row in enumerate(coverage["rows"]):
        for x, cell in enumerate(row["cells"]):
            ax.text(x, y, f"{cell['covered']}/{cell['total']}", ha="center", va="center", fontsize=9,
                    color="white" if cell["share"] > 0.6 else "black")
    ax.set_title(extra["heatmap"], fontsize=10)
    fig.tight_layout()
    return _png(fig)
