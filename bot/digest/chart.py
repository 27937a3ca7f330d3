"""The digest chart: questions and answers over 8 weeks with the 4-day line, and competence coverage.

Drawn with matplotlib's object API on the Agg canvas (no pyplot global state, safe in a worker thread).
"""

from __future__ import annotations

import os
import re
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.digest.community import CommunityDigest

WIDTH_PX, HEIGHT_PX, DPI = 1200, 600, 100

LABELS = {
    "fr": {"asked": "questions posées", "answered": "réponses", "within": "répondues dans le délai (%)",
           "title": "SOS TICE — 8 dernières semaines", "coverage": "Compétences abordées par domaine",
           "week": "sem. du", "count": "nombre"},
    "en": {"asked": "questions asked", "answered": "answers", "within": "answered within deadline (%)",
           "title": "SOS help — last 8 weeks", "coverage": "Competences touched, by domain",
           "week": "week of", "count": "count"},
}


def data_dir() -> Path:
    """Where charts are written: $TICEBOT_DATA_DIR/digests, else ./digests."""
    base = os.environ.get("TICEBOT_DATA_DIR")
    path = Path(base) / "digests" if base else Path.cwd() / "digests"
    path.mkdir(parents=True, exist_ok=True)
    return path


def chart_path(space_id: str, when: datetime, suffix: str = "") -> Path:
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", space_id)
    return data_dir() / f"digest-{safe}-{when:%Y%m%dT%H%M}{suffix}.png"


def render_chart(digest: CommunityDigest, path: Path, lang: str = "fr", timezone: str = "Europe/Paris") -> Path:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    text = LABELS.get(lang, LABELS["fr"])
    tz = ZoneInfo(timezone)
    fig = Figure(figsize=(WIDTH_PX / DPI, HEIGHT_PX / DPI), dpi=DPI)
    FigureCanvasAgg(fig)
    grid = fig.add_gridspec(2, 1, height_ratios=[3, 1], hspace=0.55)
    ax = fig.add_subplot(grid[0])
    xs = list(range(len(digest.weeks)))
    names = [w.start.astimezone(tz).strftime("%d/%m") for w in digest.weeks]
    ax.bar([x - 0.2 for x in xs], [w.asked for w in digest.weeks], width=0.4, label=text["asked"], color="#4C72B0")
    ax.bar([x + 0.2 for x in xs], [w.answered for w in digest.weeks], width=0.4, label=text["answered"],
           color="#55A868")
    ax.set_xticks(xs, [f"{text['week']} {n}" for n in names], fontsize=8)
    ax.set_ylabel(text["count"])
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_title(text["title"])
    share = ax.twinx()
    ratios = [None if w.within_ratio is None else 100 * w.within_ratio for w in digest.weeks]
    points = [(x, r) for x, r in zip(xs, ratios, strict=True) if r is not None]
    if points:
        share.plot([p[0] for p in points], [p[1] for p in points], color="#C44E52", marker="o", label=text["within"])
    share.set_ylim(0, 105)
    share.set_ylabel("%")
    handles = ax.get_legend_handles_labels()
    extra = share.get_legend_handles_labels()
    ax.legend(handles[0] + extra[0], handles[1] + extra[1], loc="upper left", fontsize=8)

    strip = fig.add_subplot(grid[1])
    cover = digest.coverage or [{"domain": "—", "covered": 0, "total": 1}]
    values = [[c["covered"] / c["total"] if c["total"] else 0.0 for c in cover]]
    strip.imshow(values, cmap="YlGn", vmin=0, vmax=1, aspect="auto")
    strip.set_yticks([])
    strip.set_xticks(range(len(cover)), [c["domain"] for c in cover], fontsize=9)
    for i, c in enumerate(cover):
        strip.text(i, 0, f"{c['covered']}/{c['total']}", ha="center", va="center", fontsize=9)
    strip.set_title(text["coverage"], fontsize=10)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format="png", dpi=DPI)
    return path
