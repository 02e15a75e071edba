"""`python -m report report|review|purge`: the operators' commands (make report,
make review, make purge DAYS=N).

Bad input gets one clear line on stderr and an exit code, never a traceback:
2 wrong arguments (dates the wrong way round, a bad date, an output inside data/),
3 the store cannot be used (missing file, not a tracker store, unreachable),
4 nothing to report (no conversation of this assistant in the period).
"""

from __future__ import annotations

import argparse
import calendar
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import sqlalchemy as sa

from report.classify import ROOT, vocabulary
from report.privacy import DEFAULT_MIN_COUNT
from report.queries import NoConversations, Period
from report.store import StoreError, open_store

USAGE, STORE, NOTHING = 2, 3, 4
DEFAULT_DAYS = 30


class UsageError(Exception):
    """Wrong arguments; the message says which."""


def parse_day(text: str, end: bool = False) -> float:
    """`YYYY-MM-DD` (a whole UTC day; `end`: the end of it) or an ISO date-time."""
    try:
        if len(text) == 10:
            day = datetime.strptime(text, "%Y-%m-%d")
            return calendar.timegm(day.timetuple()) + (86400 if end else 0)
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(
            f"'{text}' is not a date: use YYYY-MM-DD (UTC) or YYYY-MM-DDTHH:MM"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()


def period(since: str | None, until: str | None, days: int = DEFAULT_DAYS) -> Period:
    """The period the arguments name (default: the last `days` days)."""
    end = parse_day(until, end=True) if until else time.time() + 1
    start = parse_day(since) if since else end - days * 86400
    if start >= end:
        raise UsageError(
            f"--since ({since}) is not before --until ({until}): "
            "the dates are the wrong way round."
        )
    return Period(start, end)


def outside_data(out: Path) -> Path:
    """Refuse an output inside the project's training data folder."""
    resolved = out.resolve()
    data = (ROOT / "data").resolve()
    if resolved == data or data in resolved.parents:
        raise UsageError(
            f"{out} is inside data/: Rasa would train on it. Write it elsewhere, "
            "correct it, then move the examples into data/nlu/ yourself."
        )
    return out


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m report", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    store_help = "SQLAlchemy URL of the store (default: as the advisor is configured)"
    for name, what in (
        ("report", "write the HTML page and CSV files"),
        ("review", "export messages not understood as a Rasa NLU file to correct"),
    ):
        command = commands.add_parser(name, help=what)
        command.add_argument("--since", help="first day, YYYY-MM-DD (UTC)")
        command.add_argument("--until", help="last day, YYYY-MM-DD (UTC), included")
        command.add_argument("--store", help=store_help)
        command.add_argument("--min-count", type=int, default=DEFAULT_MIN_COUNT)
    commands.choices["report"].add_argument(
        "--out", type=Path, default=Path("results/report"), help="output folder"
    )
    commands.choices["review"].add_argument(
        "--out", type=Path, default=Path("results/review/nlu_review.yml")
    )
    commands.choices["review"].add_argument(
        "--confidence", type=float, default=0.6, help="below this: low confidence"
    )
    purge = commands.add_parser("purge", help="delete conversations older than DAYS")
    purge.add_argument("--days", type=int, required=True)
    purge.add_argument("--store", help=store_help)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    try:
        return _run(args)
    except UsageError as error:
        print(f"report: {error}", file=sys.stderr)
        return USAGE
    except StoreError as error:
        print(f"report: {error}", file=sys.stderr)
        return STORE
    except sa.exc.SQLAlchemyError as error:
        cause = getattr(error, "orig", None) or error
        line = str(cause).strip().splitlines()[0] if str(cause).strip() else repr(cause)
        print(f"report: the store could not be read: {line}", file=sys.stderr)
        return STORE


def _run(args: argparse.Namespace) -> int:
    if args.command == "purge":
        from report.purge import purge

        if args.days < 0:
            raise UsageError("DAYS must be 0 or more")
        store = open_store(args.store)
        try:
            conversations, events = purge(store, args.days)
        finally:
            store.close()
        print(
            f"Deleted {conversations} conversation(s) ({events} events) with no "
            f"message in the last {args.days} day(s) from {store.name}."
        )
        return 0
    chosen = period(args.since, args.until)
    out = outside_data(args.out)
    if args.min_count < 1:
        raise UsageError("--min-count must be 1 or more")
    store = open_store(args.store)
    try:
        if args.command == "review":
            from report.review import review

            count = review(store, vocabulary(), chosen, args.confidence, out)
            print(f"{count} message(s) to review written to {out}")
            return 0
        return _report(store, chosen, out, args.min_count)
    except NoConversations as nothing:
        others = nothing.args[0] if nothing.args else {}
        where = f"in {store.name} between {_when(chosen)}"
        if others:
            found = ", ".join(f"{name} ({n})" for name, n in others.items())
            print(
                f"report: no conversation of this assistant "
                f"('{vocabulary().assistant_id}') {where}; the store holds messages "
                f"of {found}: is TRACKER_DB_URL / TRACKER_DB_PATH the right store?",
                file=sys.stderr,
            )
        else:
            print(f"report: no conversations {where}: nothing to report.",
                  file=sys.stderr)  # fmt: skip
        return NOTHING
    finally:
        store.close()


def _when(p: Period) -> str:
    def day(ts: float) -> str:
        return time.strftime("%Y-%m-%d %H:%M", time.gmtime(ts))

    return f"{day(p.since)} and {day(p.until)} UTC"


def _report(store, chosen: Period, out: Path, min_count: int) -> int:  # type: ignore[no-untyped-def]
    from report.page import render
    from report.queries import collect
    from report.tables import write_csv

    started = time.perf_counter()
    figures = collect(store, vocabulary(), chosen, min_count)
    html, tables = render(figures, chosen, store.name, min_count)
    out.mkdir(parents=True, exist_ok=True)
    page = out / "report.html"
    page.write_text(html, encoding="utf-8")
    files = write_csv(tables, out)
    took = time.perf_counter() - started
    print(
        f"{figures.conversations} conversations, {figures.turns} messages: "
        f"{page} and {len(files)} CSV files in {out} ({took:.1f} s)"
    )
    if figures.corrupt_rows:
        print(
            f"report: {len(figures.corrupt_rows)} corrupt event row(s) skipped "
            "(listed on the page)",
            file=sys.stderr,
        )
    return 0
