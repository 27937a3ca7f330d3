"""The SOS promise over a semester, pooled over seeds: the goals of issue 14, and the no-bot baseline.

    .venv/bin/python bench/bench_sos_promise.py [--seeds 1-10] [--days 120] [--jobs 2] [--oncall-in-holidays]
                                                [--policy '{"loop": 1}'] [--backup] [--save runs.json]

Each seed runs `ticebot simulate --days N --seed S --json` (both runs: without and with the bot, on the
same questions and absences) in a subprocess; the script pools the questions of all seeds and prints
the figures beside the goals: ≥ 99.5 % answered within the delay pooled, no seed below 98 %, ≤ 2
personal pings per question on average. Each run is also explained (`--explain`): the misses pooled by
cause and the pings per question by kind, and the **ceiling**: the share of questions any bot could at best
get answered in time with this model of people, i.e. all but the misses where no staff member read
messages at any waking hour of the delay (nobody there to ask; the same draws as the run). `--backup`
runs every seed a second time with a neighbouring space's formateurs as backup (`backup_spaces`) and
prints both, the default run first (`--backup-only`: that run alone,
e.g. to try `--policy '{"backup_when": "unanswered"}'` with it).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
GOALS = {"pooled": 0.995, "worst_seed": 0.98, "pings": 2.0}


def seeds_of(text: str) -> list[int]:
    first, _, last = text.partition("-")
    return list(range(int(first), int(last or first) + 1))


def run_seed(seed: int, days: int, holidays: bool, policy: str, backup: bool = False) -> dict[str, Any]:
    command = [sys.executable, "-m", "bot.cli", "simulate", "--days", str(days), "--seed", str(seed), "--json",
               "--explain"]
    if backup:
        command.append("--backup")
    if holidays:
        command.append("--oncall-in-holidays")
    if policy:
        command += ["--policy", policy]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def ceiling(run: dict[str, Any]) -> float:
    """The best any bot could do: every question except those with nobody there during the whole delay."""
    out_of_reach = run["explain"]["causes"]["nobody there"]
    return (run["questions"] - out_of_reach) / run["questions"]


def pooled(results: list[dict[str, Any]], side: str) -> dict[str, float]:
    questions = sum(r[side]["questions"] for r in results)
    within = sum(r[side]["questions"] - r[side]["breaches"] for r in results)
    pings = sum(r[side]["personal_pings_per_question"] * r[side]["questions"] for r in results)
    return {"questions": questions, "ratio": within / questions, "pings": pings / questions,
            "worst": min(r[side]["answered_within_deadline_ratio"] for r in results)}


def explained(results: list[dict[str, Any]]) -> None:
    causes: dict[str, int] = {}
    kinds: dict[str, float] = {}
    questions = sum(r["with_bot"]["questions"] for r in results)
    for r in results:
        why = r["with_bot"]["explain"]
        for cause, count in why["causes"].items():
            causes[cause] = causes.get(cause, 0) + count
        for kind, per_q in why["pings_per_question_by_kind"].items():
            kinds[kind] = kinds.get(kind, 0.0) + per_q * r["with_bot"]["questions"]
    print("  misses by cause: " + ", ".join(f"{c} {n}" for c, n in causes.items()))
    print("  pings / question by kind: " + ", ".join(f"{k} {v / questions:.3f}"
                                                    for k, v in sorted(kinds.items(), key=lambda kv: -kv[1])))


def report(results: list[dict[str, Any]], args: argparse.Namespace, label: str) -> None:
    print(f"\n== {label}")
    print(f"{'seed':>4} {'questions':>9} {'no bot':>8} {'ticebot':>8} {'breaches':>8} {'warned':>7} {'pings/q':>8} "
          f"{'ack h':>6} {'ceiling':>8}")
    for r in results:
        w, b = r["without_bot"], r["with_bot"]
        warned = b["coordinator_warned_in_time_ratio"]
        print(f"{r['seed']:>4} {b['questions']:>9} {w['answered_within_deadline_ratio']:>8.4f} "
              f"{b['answered_within_deadline_ratio']:>8.4f} {b['breaches']:>8} {'-' if warned is None else warned:>7} "
              f"{b['personal_pings_per_question']:>8.3f} {b['median_ack_hours'] or '-':>6} {ceiling(b):>8.4f}")
    base, bot = pooled(results, "without_bot"), pooled(results, "with_bot")
    print(f"\npooled over seeds {args.seeds}, {args.days} days, {bot['questions']} questions"
          f"{' (on call reachable in holidays)' if args.oncall_in_holidays else ''}"
          f"{f', policy {args.policy}' if args.policy else ''}:")
    print(f"  answered within the delay: no bot {base['ratio']:.4f} | ticebot {bot['ratio']:.4f} "
          f"(goal ≥ {GOALS['pooled']}) {'OK' if bot['ratio'] >= GOALS['pooled'] else 'NOT MET'}")
    print(f"  worst seed:                no bot {base['worst']:.4f} | ticebot {bot['worst']:.4f} "
          f"(goal ≥ {GOALS['worst_seed']}) {'OK' if bot['worst'] >= GOALS['worst_seed'] else 'NOT MET'}")
    print(f"  personal pings / question: ticebot {bot['pings']:.3f} (goal ≤ {GOALS['pings']}) "
          f"{'OK' if bot['pings'] <= GOALS['pings'] else 'NOT MET'}")
    reachable = sum(ceiling(r["with_bot"]) * r["with_bot"]["questions"] for r in results) / bot["questions"]
    print(f"  ceiling (nobody there to ask during the whole delay): pooled {reachable:.4f}, worst seed "
          f"{min(ceiling(r['with_bot']) for r in results):.4f}: no bot can do better with this model of people")
    explained(results)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", default="1-10")
    parser.add_argument("--days", type=int, default=120)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--oncall-in-holidays", action="store_true")
    parser.add_argument("--policy", default="", help="[spaces.sos] keys to try, as JSON")
    parser.add_argument("--backup", action="store_true", help="also run with a neighbouring space as backup")
    parser.add_argument("--backup-only", action="store_true", help="only the run with a neighbouring space")
    parser.add_argument("--save", default="", help="write every seed's JSON (misses in detail) to this file")
    args = parser.parse_args()
    started = time.monotonic()
    variants = [True] if args.backup_only else [False, True] if args.backup else [False]
    jobs = [(seed, backup) for backup in variants for seed in seeds_of(args.seeds)]
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        results = list(pool.map(lambda job: run_seed(job[0], args.days, args.oncall_in_holidays, args.policy, job[1]),
                                jobs))
    if args.save:
        Path(args.save).write_text(json.dumps(results, indent=1, default=str))
    for backup in variants:
        report([r for r, (_s, b) in zip(results, jobs, strict=True) if b == backup], args,
               "with a neighbouring space as backup (--backup)" if backup else "default")
    print(f"  wall time {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
