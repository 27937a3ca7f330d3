"""Every benchmark still runs at a tiny size and prints its comparison with the same-run baseline.

No figure is judged here (speed targets live in bench/, read by a person); this only keeps the
benchmarks from rotting when the code they drive changes. PostgreSQL runs as in the rest of the suite.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

BENCHES = {
    "ingest": (["bench/bench_ingest.py", "--tiny", "--repeat", "1"],
               ["% of floor", "SQL statements per event", "backlog"]),
    "sweep": (["bench/bench_sweep.py", "--sizes", "200", "--due", "200"], ["goal < 1 s per 1,000 due steps", "×floor"]),
    "tagging": (["bench/bench_tagging.py", "--posts", "300", "--corrections", "30"],
                ['"bot_path"', '"bot_path_unseen_words"', '"keyword_baseline"']),
    "faq": (["bench/bench_faq.py", "--questions", "40", "--queries", "5"], ["baseline SELECT", "warm search"]),
    "question_cpu": (["bench/question_cpu.py", "--events", "200"], ["question events: CPU mean", "index_for"]),
    "ingest_cpu": (["bench/ingest_cpu.py", "--events", "100"], ["loop-thread CPU ms per event: all", "general"]),
    "faq_growth": (["bench/bench_faq.py", "--growth", "300,2000", "--queries", "5"],
                   ["scoring every row (before)", "rows scored"]),
}


@pytest.mark.parametrize("name", sorted(BENCHES))
def test_the_benchmark_runs_and_prints_its_baseline(name: str, request: pytest.FixtureRequest) -> None:
    args, expected = BENCHES[name]
    if name in ("ingest", "sweep"):
        request.getfixturevalue("postgres_required")
    run = subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=600,
                         env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert run.returncode == 0, run.stderr[-3000:]
    for text in expected:
        assert text in run.stdout, f"{text!r} missing from:\n{run.stdout[-3000:]}"
