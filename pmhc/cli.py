"""Command line: `python -m pmhc summarize PATH [PATH ...] [--audience internal|partner] [--json]`.

Exit 0 on success; 2 with one `error:` line on stderr for a file or argument it cannot
use. Never a traceback, and never a cell value in an error (it could be personal data)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from pmhc import cli_access
from pmhc.analysis.summary import summarize
from pmhc.domain.errors import InputError
from pmhc.ingest import pipeline as ingest
from pmhc.ingest import profiles
from pmhc.ingest.reading import UnreadableFile
from pmhc.storage import dataset
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
    s.add_argument("paths", nargs="+", metavar="PATH", help="Excel or CSV exports.")
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
    return parser


def load(
    paths: list[str], ws: Workspace, mapping_files: list[str], all_mh: bool
) -> dataset.Dataset:
    saved = [profiles.load_profile(Path(p)) for p in mapping_files] + ws.profiles()
    ctx = ingest.Context(rules=ws.rules(), key=ws.key, profiles=saved, all_mh=all_mh)
    loaded = []
    for path in paths:
        tables = ingest.ingest_file(path, ctx)
        if not any(t.report.kind for t in tables):
            name = Path(path).name
            raise UnreadableFile(
                f"{name} holds no calls, training, roster or services records that could be "
                "recognised (no header row with known column names in its first 40 rows); "
                "check it is the export itself, or save a mapping profile for it in the app."
            )
        loaded.extend(tables)
    return dataset.build(loaded, ", ".join(Path(p).name for p in paths))


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        if args.command in cli_access.COMMANDS:
            return cli_access.run(args)
        ws = Workspace(Path(args.data_dir)) if args.data_dir else Workspace.default()
        ds = load(args.paths, ws, args.mapping, args.all_mh)
        result = summarize(ds, audience=args.audience)
    except (UsageError, InputError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except SystemExit as e:  # --help
        return int(e.code or 0)
    except Exception as e:
        print(
            f"error: an unexpected {type(e).__name__} stopped the summary; please report it "
            "with the command you ran.",
            file=sys.stderr,
        )
        return 1
    if args.json:
        print(json.dumps(result, indent=2, ensure_ascii=False, default=str))
    else:
        print(render_text(result))
    return 0


def render_text(result: dict) -> str:
    lines = [f"PMHC summary: {result['dataset']} (audience: {result['audience']})", ""]
    for s in result["sources"]:
        where = s["path"] + (f" [{s['sheet']}]" if s["sheet"] else "")
        if s["kind"] is None:
            lines.append(f"- {where}: not loaded. {s.get('note', '')}")
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
        for key, label in (
            ("connection_rate", "Connected to services"),
            ("arrest_rate", "Arrested"),
            ("involuntary_rate", "Involuntary hold"),
            ("use_of_force_rate", "Use of force"),
            ("injury_rate", "Injury"),
            ("cit_on_scene_rate", "CIT officer on scene"),
            ("repeat_person_share", "Persons with 2+ MH contacts"),
        ):
            lines.append(f"  {label}: {_pct(calls[key])}")
        if calls["persons"] is not None:
            lines.append(f"  Distinct persons: {_n(calls['persons'])}")
    for kind, keys in (
        ("training", ("cit_40_officers", "in_service_overdue", "hours_total")),
        ("roster", ("active", "patrol_cit_40_share", "supervisor_cit_40_share")),
        ("services", ("services", "crisis_now")),
    ):
        part = result.get(kind)
        if part:
            lines += ["", kind.capitalize()]
            for key in keys:
                value = part.get(key)
                shown = _pct(value) if key.endswith("share") else value
                lines.append(f"  {key.replace('_', ' ')}: {shown}")
    return "\n".join(lines)


def _n(value) -> str:
    return f"{value:,}" if isinstance(value, int) else str(value)


def _pct(value) -> str:
    if value is None:
        return "not in the data"
    if isinstance(value, str):
        return value
    return f"{100 * value:.1f}%"


if __name__ == "__main__":
    sys.exit(main())
