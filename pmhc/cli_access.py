"""Command line for access: partner links and the passphrase hash.

    python -m pmhc share create --label "County partners" [--days 90] [--base-url URL]
    python -m pmhc share list
    python -m pmhc share revoke ID
    python -m pmhc passphrase        (reads the phrase without echo; prints its hash)

All take --data-dir DIR (default: PMHC_DATA_DIR or data/)."""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path

from pmhc.application import partners
from pmhc.application.actor import OPERATOR
from pmhc.domain import access
from pmhc.domain.errors import InputError
from pmhc.storage import files
from pmhc.storage.workspace import Workspace

COMMANDS = ("share", "passphrase")
CLI_USER = OPERATOR.who


def add_parsers(sub) -> None:
    share = sub.add_parser("share", help="Create, list or revoke partner links.")
    actions = share.add_subparsers(dest="share_action", required=True)
    create = actions.add_parser("create", help="A new partner link; the token is shown once.")
    create.add_argument("--label", required=True, help="Who the link is for.")
    create.add_argument("--days", type=int, default=90, help="Days until it expires (90).")
    create.add_argument("--base-url", default="", help="The app's address, to print a full link.")
    actions.add_parser("list", help="Every link: id, label, status, expiry.")
    revoke = actions.add_parser("revoke", help="Withdraw a link at once.")
    revoke.add_argument("id", help="The link's id, from 'share list'.")
    for p in (create, *actions.choices.values()):
        if "--data-dir" not in p._option_string_actions:
            p.add_argument("--data-dir", metavar="DIR", help="Workspace folder.")
    phrase = sub.add_parser("passphrase", help="Hash a passphrase for secrets.toml.")
    phrase.add_argument("--data-dir", metavar="DIR", help=argparse.SUPPRESS)


def run(args) -> int:
    files.restrict_new_files()
    ws = Workspace(Path(args.data_dir)) if args.data_dir else Workspace.default()
    if args.command == "passphrase":
        return _passphrase()
    files.private_dir(ws.folder)
    if args.share_action == "create":
        token, share = partners.create_link(ws, OPERATOR, args.label, args.days)
        base = args.base_url.rstrip("/")
        print(f"Partner link {share.id} for {share.label!r}, valid until {share.expires[:10]}.")
        print("Copy it now: only its fingerprint is kept, it cannot be shown again.")
        print(f"{base}/?share={token}" if base else f"?share={token}")
    elif args.share_action == "list":
        listed = partners.links(ws, OPERATOR)
        if not listed:
            print("No partner links.")
        for s in listed:
            print(f"{s.id}  {s.status():8}  expires {s.expires[:10]}  {s.label}")
    else:
        share = partners.revoke_link(ws, OPERATOR, args.id)
        print(f"Revoked {share.id} ({share.label}).")
    return 0


def _passphrase() -> int:
    if sys.stdin.isatty():
        phrase = getpass.getpass("Passphrase: ")
        if getpass.getpass("Again: ") != phrase:
            raise InputError("The two passphrases differ; run the command again.")
    else:
        phrase = sys.stdin.readline().rstrip("\n")
    if len(phrase) < 12:
        raise InputError("Use a passphrase of at least 12 characters (several words).")
    print(access.hash_passphrase(phrase))
    print(
        "Put it in .streamlit/secrets.toml under [pmhc.passphrases] as "
        'analyst = "..." (or viewer, admin).',
        file=sys.stderr,
    )
    return 0
