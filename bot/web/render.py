"""HTML pages: Jinja2 templates in prompts/<lang>/web/*.html.j2, autoescaped (unlike chat templates)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from bot.templates import LANGUAGES, PROMPTS_DIR, _format_delta, _format_dt


def _number(lang: str, value: float | None, digits: int = 1) -> str:
    if value is None:
        return "—"
    text = f"{value:.{digits}f}"
    return text.replace(".", ",") if lang == "fr" else text


def _percent(lang: str, value: float | None) -> str:
    if value is None:
        return "—"
    text = _number(lang, 100 * value, 0)
    return f"{text} %" if lang == "fr" else f"{text}%"


def _day(lang: str, value: date | datetime) -> str:
    return value.strftime("%d/%m/%Y" if lang == "fr" else "%Y-%m-%d")


@lru_cache(maxsize=4)
def environment(lang: str) -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(PROMPTS_DIR / lang)),
        undefined=StrictUndefined,
        autoescape=select_autoescape(enabled_extensions=("html", "html.j2"), default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["dt"] = lambda v: _format_dt(lang, v)
    env.filters["delta"] = lambda v: _format_delta(lang, v)
    env.filters["num"] = lambda v, digits=1: _number(lang, v, digits)
    env.filters["pct"] = lambda v: _percent(lang, v)
    env.filters["day"] = lambda v: _day(lang, v)
    env.filters["days"] = lambda v: _number(lang, v / timedelta(days=1), 1)
    return env


def page(lang: str, name: str, **values: Any) -> str:
    lang = lang if lang in LANGUAGES else "fr"
    return environment(lang).get_template(f"web/{name}.html.j2").render(lang=lang, **values)
