"""Command line:
- `python -m pmhc summarize PATH [PATH ...] | --workspace [--audience internal|partner]
  [--json]`: the files' headline figures, or with --workspace those of the workspace's
  dataset (what `load` loaded, else the sample), under the workspace's settings;
- `python -m pmhc load PATH [PATH ...] --data-dir DIR [--agency]`: what an upload on the
  Data page does: the files become a dataset of the person at the terminal, a draft that
  only they and administrators see, or with --agency the agency's, which every role sees;
- `python -m pmhc publish --data-dir DIR`: write the partner release of the workspace's
  dataset, which a server started with PMHC_AUDIENCE=partner shows.

Exit 0 on success; 2 with one `error:` line on stderr for a file or argument it cannot
use. Never a traceback, and never a cell value in an error (it could be personal data)."""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

from pmhc import cli_access
from pmhc.analysis import indicators
from pmhc.analysis import released as partner_figures
from pmhc.analysis.filters import LABELS, Filters
from pmhc.application import datasets, figures, partners
from pmhc.application.actor import OPERATOR
from pmhc.domain.errors import InputError
from pmhc.ingest.failures import is_reader_panic
from pmhc.present import numbers
from pmhc.storage import dataset, files
from pmhc.storage.workspace import Workspace


class UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, not argparse's usage block
        raise UsageError(f"{message}; run '{self.prog} --help' for usage.")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m pmhc", description="PMHC Dashboard command line.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    s = sub.add_parser("summarize", help="Read exports and print their headline figures.")
    s.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        help="Excel or CSV exports.",
    )
    s.add_argument(
        "--workspace",
        action="store_true",
        help="Summarize the workspace's dataset (what 'load' loaded, else the sample) as the "
        "app shows it, instead of files.",
    )
    s.add_argument(
        "--audience",
        choices=("internal", "partner"),
        default="internal",
        help="partner hides counts from 1 to 10 (and what would reveal them).",
    )
    s.add_argument("--json", action="store_true", help="Print one JSON object.")
    s.add_argument(
        "--mapping",
        metavar="FILE",
        action="append",
        default=[],
        help="A saved mapping profile (JSON) to apply; may be repeated.",
    )
    s.add_argument(
        "--all-mh", action="store_true", help="Every call in these files is a mental-health call."
    )
    s.add_argument(
        "--data-dir", metavar="DIR", help="Workspace folder (default: PMHC_DATA_DIR or data/)."
    )
    cli_access.add_parsers(sub)
    ld = sub.add_parser(
        "load",
        help="Load exports into the workspace, as an upload does: your draft until it is "
        "made the agency's.",
    )
    ld.add_argument("paths", nargs="+", metavar="PATH", help="Excel or CSV exports.")
    ld.add_argument(
        "--agency",
        action="store_true",
        help="Make the dataset the agency's at once, so every role sees it (without it, "
        "only you and the administrators do until someone makes it the agency's).",
    )
    ld.add_argument(
        "--data-dir", metavar="DIR", help="Workspace folder (default: PMHC_DATA_DIR or data/)."
    )
    pb = sub.add_parser("publish", help="Publish the partner release of the workspace's data.")
    pb.add_argument(
        "--data-dir", metavar="DIR", help="Workspace folder (default: PMHC_DATA_DIR or data/)."
    )
    pb.add_argument(
        "--revise",
        action="store_true",
        help="Count the months already released afresh (records filed late, changed "
        "districts or columns): starts a new epoch of the release history.",
    )
    add_report_parser(sub)
    return parser


def add_report_parser(sub) -> None:
    r = sub.add_parser("report", help="Write the meeting pack (PDF, HTML or Excel).")
    r.add_argument("--out", required=True, metavar="FILE", help="FILE.pdf, FILE.html or FILE.xlsx")
    r.add_argument(
        "--data-dir", metavar="DIR", help="Workspace folder (default: PMHC_DATA_DIR or data/)."
    )
    r.add_argument("--audience", choices=("internal", "partner"), default="internal")
    r.add_argument("--start", type=_day, help="First day of the period (YYYY-MM-DD).")
    r.add_argument("--end", type=_day, help="Last day of the period (YYYY-MM-DD).")
    for key, label in LABELS.items():
        r.add_argument(f"--{key}", action="append", default=[], help=f"{label} (repeatable).")


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2025-01-31") from None


def run_report(args) -> str:
    """Write the pack; the line to print."""
    # The pack's libraries (charts, PDF, Excel) cost most of a second to import: only when
    # a pack is made, never for `summarize` or `load`.
    from pmhc.application import report as use_report
    from pmhc.present import report

    out = Path(args.out)
    writer = report.WRITERS.get(out.suffix.lower())
    if writer is None:
        raise UsageError(f"--out must end in .pdf, .html or .xlsx, not {out.suffix or 'nothing'}")
    if not out.parent.is_dir():
        raise UsageError(f"the folder for --out does not exist: {out.parent}")
    ws = Workspace(Path(args.data_dir)) if args.data_dir else Workspace.default()
    chosen = {k: tuple(getattr(args, k)) for k in LABELS}
    ds_id = datasets.last_choice(ws, OPERATOR)  # what `load` loaded
    f = Filters(args.start, args.end, **chosen)
    pack = use_report.meeting_pack(ws, OPERATOR, f, args.audience, ds_id)
    data = writer(pack)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(out)
    return f"Wrote {out} ({len(data):,} bytes, {args.audience} pack)."


def workspace_dataset(ws: Workspace) -> tuple[dataset.Dataset, str | None]:
    """The dataset `load` loaded last (the sample without one), as the app opens it."""
    ds_id = datasets.last_choice(ws, OPERATOR)
    ds, opened = datasets.open_dataset(ws, OPERATOR, ds_id)
    return ds, opened if figures.is_stored(opened) else None


def summary(args, ws: Workspace) -> dict:
    """The headline figures of the files named (or of the workspace's dataset), under the
    workspace's settings: the figures the app shows for the same data."""
    if args.workspace == bool(args.paths):
        raise UsageError(
            "give the exports to summarize or --workspace (not both); run "
            "'python -m pmhc summarize --help' for usage."
        )
    if args.paths:
        ds = figures.read_files(ws, args.paths, args.mapping, args.all_mh)
        ds_id = None
    else:
        ds, ds_id = workspace_dataset(ws)
    if args.audience == "partner":
        return partner_summary(ds, ws, ds_id)
    # JSON rounds rates to 4 decimals; text is formatted from the exact rates by the same
    # function as the pages (present.numbers).
    values = figures.values(ws, ds_id, ds.is_sample)
    return figures.headline(ds, values, exact=not args.json)


def main(argv: list[str] | None = None) -> int:
    """Run the command; library logging, warnings and what the Rust readers print go to
    the workspace's log, so stderr carries nothing but our one `error:` line."""
    try:
        args = build_parser().parse_args(argv)
    except UsageError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except SystemExit as e:  # --help
        return int(e.code or 0)
    ws = Workspace(Path(args.data_dir)) if args.data_dir else Workspace.default()
    # Files 0600 and folders 0700 whatever the umask: releases, Parquet, logs, the audit log.
    with files.private_files(), library_output_to(ws.folder / "logs" / "pmhc.log"):
        try:
            if args.command == "report":
                print(run_report(args))
                return 0
            if args.command in cli_access.COMMANDS:
                return cli_access.run(args)
            if args.command == "load":
                print(load_into(ws, args.paths, agency=args.agency))
                return 0
            if args.command == "publish":
                print(publish(ws, revise=args.revise))
                return 0
            result = summary(args, ws)
        except (UsageError, InputError) as e:
            print(f"error: {e}", file=sys.stderr)
            return 2
        except Exception as e:  # never show a traceback to a user
            return _unexpected(e)
        except BaseException as e:  # a Rust panic outside the readers; never Ctrl-C or exit
            if not is_reader_panic(e):
                raise
            return _unexpected(e)
    if args.json:
        print(json.dumps(result, indent=2, ensure_ascii=False, default=str))
    else:
        print(render_text(result))
    return 0


def _unexpected(e: BaseException) -> int:
    print(
        f"error: an unexpected {type(e).__name__} stopped the summary; please report it "
        "with the command you ran.",
        file=sys.stderr,
    )
    return 1


@contextlib.contextmanager
def library_output_to(log_path: Path) -> Iterator[None]:
    """Send logging, warnings and anything written straight to file descriptor 2 (a Rust
    panic message) to `log_path` while the block runs; `sys.stderr` keeps the terminal."""
    handler: logging.Handler
    try:
        files.private_dir(log_path.parent)
        handler = logging.FileHandler(log_path, encoding="utf-8")
        target = str(log_path)
    except OSError:  # a read-only workspace: drop the library noise rather than show it
        handler, target = logging.NullHandler(), os.devnull
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    logging.captureWarnings(True)
    redirect = _stderr_fd_to(target)
    try:
        with redirect:
            yield
    finally:
        logging.captureWarnings(False)
        root.removeHandler(handler)
        handler.close()


@contextlib.contextmanager
def _stderr_fd_to(target: str) -> Iterator[None]:
    try:
        real_fd = sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):  # captured by a test: nothing to redirect
        real_fd = None
    if real_fd != 2:
        yield
        return
    sys.stderr.flush()
    saved = os.dup(2)
    log = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.dup2(log, 2)
    os.close(log)
    real = sys.stderr
    sys.stderr = open(saved, "w", encoding=real.encoding, errors="backslashreplace", closefd=False)  # noqa: SIM115
    try:
        yield
    finally:
        sys.stderr.flush()
        sys.stderr = real
        os.dup2(saved, 2)
        os.close(saved)


def load_into(ws: Workspace, paths: list[str], agency: bool = False) -> str:
    """Read the files as the Data page's upload does and save them as a dataset of the
    person at the terminal: a draft, or with `agency` the agency's. Files it cannot use are
    refused first, so the workspace keeps what it had. The lines say which it became."""
    ds, saved = datasets.load_files(ws, OPERATOR, paths, agency=agency)
    loaded = (
        f"Loaded {ds.rows_in:,} rows from {len(paths)} file(s) into {ws.folder} as the "
        f'dataset "{saved.name}" ({saved.id}).'
    )
    if saved.status == datasets.AGENCY:
        return f"{loaded}\nIt is the agency's: every signed-in role can open it."
    return (
        f"{loaded}\nIt is a draft: only its owner ({saved.owner}) and administrators see it "
        "until it is made the agency's (load again with --agency, or \"Make it the agency's\" "
        "on the Data page)."
    )


def publish(ws: Workspace, revise: bool = False) -> str:
    """Publish the partner release of what `load` loaded (the sample without it)."""
    ds, ds_id = workspace_dataset(ws)
    _, target = partners.publish(ws, OPERATOR, ds_id, revise=revise, ds=ds)
    what = "the sample data" if ds.is_sample else ds.label
    return f"Published the partner release of {what} to {target}."


def partner_summary(ds: dataset.Dataset, ws: Workspace, ds_id: str | None = None) -> dict:
    """What partners would see of these data: the release the app's preview shows."""
    sources = [
        {"path": r.path, "sheet": r.sheet, "kind": r.kind, **({"note": r.note} if r.note else {})}
        for r in ds.reports
    ]
    release, _ = figures.draft_release(ws, ds, ds_id)
    figures_ = partner_figures.summary(release)
    return {"dataset": ds.label, "audience": "partner", "sources": sources, **figures_}


def render_text(result: dict) -> str:
    lines = [f"PMHC summary: {result['dataset']} (audience: {result['audience']})", ""]
    for s in result["sources"]:
        where = s["path"] + (f" [{s['sheet']}]" if s["sheet"] else "")
        if s["kind"] is None:
            lines.append(f"- {where}: not loaded. {s.get('note', '')}")
            continue
        if "rows_in" not in s:  # partners: no row counts
            lines.append(f"- {where}: {s['kind']}.")
            continue
        lines.append(
            f"- {where}: {s['kind']}, header on row {s['header_row']}; "
            f"{s['rows_in']:,} rows in, {s['rows_loaded']:,} loaded, "
            f"{s['rows_rejected']:,} rejected."
        )
        for note in s.get("load_report", []):
            lines.append(f"    {note}")
        if s.get("personal_data_dropped"):
            lines.append(f"    Personal data not read: {', '.join(s['personal_data_dropped'])}.")
    calls = result.get("calls")
    if calls:
        lines += ["", "Calls"]
        period = calls["period"]
        lines.append(
            f"  {_n(calls['mh_calls'])} mental-health calls of {_n(calls['total_calls'])} "
            f"incidents, {period['start']} to {period['end']}."
            if period
            else ""
        )
        lines.append("  By year: " + ", ".join(f"{y} {_n(n)}" for y, n in calls["by_year"].items()))
        if calls["by_district"]:
            lines.append(
                "  By district: "
                + ", ".join(f"{d} {_n(n)}" for d, n in calls["by_district"].items())
            )
        for key, label in ((f"{o.key}_rate", o.card) for o in indicators.outcomes()):
            if key not in calls:  # an outcome partners do not see
                continue
            lines.append(f"  {label}: {_pct(calls[key])}")
            if key == "connection_rate" and calls.get("connection_components"):
                lines.append(
                    "    of which: "
                    + ", ".join(
                        f"{c.lower()} {_n(n)}" for c, n in calls["connection_components"].items()
                    )
                )
        lines += _measure_lines(calls)
        if calls.get("persons") is not None:
            lines.append(f"  Distinct persons: {_n(calls['persons'])}")
    for kind in ("training", "roster"):
        part = result.get(kind)
        if part:
            lines += ["", kind.capitalize(), *_measure_lines(part)]
    services = result.get("services")
    if services:
        lines += ["", "Services", f"  services: {services['services']}"]
        lines.append(f"  crisis now: {services['crisis_now']}")
    return "\n".join(lines)


def _measure_lines(part: dict) -> list[str]:
    """The registry's measures of a part (`summarize`'s `measures`), by their card labels;
    the MH-call count is the Calls heading's own line."""
    lines = []
    for key, shown in (part.get("measures") or {}).items():
        if key == "mh_calls":
            continue
        label = indicators.get_measure(key).card if indicators.is_measure(key) else key
        lines.append(f"  {label}: {shown['text'] if shown else 'not in the data'}")
    return lines


def _n(value) -> str:
    return f"{value:,}" if isinstance(value, int) else str(value)


def _pct(value) -> str:
    if value is None:
        return "not in the data"
    if isinstance(value, str):
        return value
    return numbers.pct(value)


if __name__ == "__main__":
    sys.exit(main())
