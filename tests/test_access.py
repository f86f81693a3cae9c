"""Hosting: roles, passphrases, partner links, the audit log, private files and escaping."""

from __future__ import annotations

import re
import stat
from datetime import UTC, datetime, timedelta

import pytest

from pmhc import cli
from pmhc.domain import access
from pmhc.domain.errors import InputError
from pmhc.domain.untrusted import WORD_JOINER, escape_markdown
from pmhc.ingest import mapping as mp
from pmhc.storage import audit, db, files, shares

ISSUER = "https://idp.agency.gov"
ROLES = {
    "admin": ["chief@agency.gov", f"sub:{ISSUER}#chief-0001"],
    "analyst": ["ana@agency.gov", "group:pmhc-analysts"],
    "viewer": ["@agency.gov"],
}


def person(sub: str, email: str = "", verified: bool = True, groups=(), issuer: str = ISSUER):
    return access.Identity(issuer, sub, email, verified, tuple(groups))


@pytest.mark.parametrize(
    ("who", "role"),
    [
        (person("c", "chief@agency.gov"), "admin"),
        (person("chief-0001"), "admin"),  # by account: issuer and subject
        (person("CHIEF-0001"), None),  # a subject is compared exactly
        (person("chief-0001", issuer="https://other.example"), None),  # same sub elsewhere
        (person("m", "CHIEF@Agency.gov"), None),  # e-mails compare exactly too
        (person("m", "chief@agency.gov", verified=False), None),  # unverified: a label only
        (person("a", "ana@agency.gov"), "analyst"),
        (person("b", "bob@agency.gov", groups=["pmhc-analysts"]), "analyst"),  # by group
        (person("b", "bob@agency.gov", groups=["PMHC-Analysts"]), "viewer"),  # exact group
        (person("b", "bob@agency.gov"), "viewer"),  # by domain
        (person("e", "eve@elsewhere.org"), None),  # nobody gave her a role
        (person("e", "eve@elsewhere.org", groups=["pmhc-analysts"]), "analyst"),
        (person(""), None),  # no subject: nobody
    ],
)
def test_roles_from_accounts_groups_and_verified_emails(who, role):
    assert access.role_for(who, ROLES, trusted_email_issuers=[ISSUER]) == role


def test_emails_count_only_from_a_trusted_issuer():
    chief = person("x", "chief@agency.gov")
    assert access.role_for(chief, ROLES, trusted_email_issuers=[]) is None
    assert access.role_for(chief, ROLES, trusted_email_issuers=["https://other"]) is None
    assert access.verified("true") and not access.verified("false") and not access.verified(1)


def test_default_role_only_for_a_signed_in_account():
    assert access.role_for(person("x"), {"default": "viewer"}) == "viewer"
    assert access.role_for(person(""), {"default": "viewer"}) is None
    assert access.role_for(person("x"), {"default": "superuser"}) is None


def test_abilities_grow_with_the_role():
    assert [access.can(r, "upload") for r in access.ROLES] == [False, True, True]
    assert [access.can(r, "admin") for r in access.ROLES] == [False, False, True]
    assert all(access.can(r, "view") for r in access.ROLES)
    assert not access.can(None, "view") and not access.can("partner", "view")


def test_passphrase_hash_checks_the_phrase_and_hides_it():
    stored = access.hash_passphrase("correct horse battery")
    assert stored.startswith("scrypt$32768$8$1$") and "horse" not in stored
    assert access.check_passphrase("correct horse battery", stored)
    assert not access.check_passphrase("correct horse batterY", stored)
    assert not access.check_passphrase("x", "not a hash")
    assert access.hash_passphrase("same") != access.hash_passphrase("same")  # salted


# --- partner links ---------------------------------------------------------------------


def test_a_partner_link_token_is_random_and_stored_only_as_its_hash(tmp_path):
    token, share = shares.create(tmp_path, "County partners", days=30)
    assert len(token) >= 22 and re.fullmatch(r"[A-Za-z0-9_-]+", token)  # >= 128 bits
    stored = b"".join(p.read_bytes() for p in tmp_path.glob(db.DB_FILE + "*"))  # with the WAL
    assert token.encode() not in stored and share.token_hash.encode() in stored
    assert stat.S_IMODE((tmp_path / db.DB_FILE).stat().st_mode) == 0o600
    assert shares.verify(tmp_path, token) == share
    other, _ = shares.create(tmp_path, "Hospital", days=30)
    assert other != token
    assert shares.verify(tmp_path, token[:-1]) is None
    assert shares.verify(tmp_path, "") is None and shares.verify(tmp_path, None) is None


def test_revoked_and_expired_links_open_nothing(tmp_path):
    token, share = shares.create(tmp_path, "County partners", days=30)
    shares.revoke(tmp_path, share.id)
    assert shares.verify(tmp_path, token) is None
    assert shares.load(tmp_path)[0].status() == "revoked"
    shares.create(tmp_path, "Hospital", days=1)
    later = datetime.now(UTC) + timedelta(days=2)
    assert shares.load(tmp_path)[1].status(later) == "expired"
    with pytest.raises(InputError):
        shares.revoke(tmp_path, "no-such-id")
    with pytest.raises(InputError):
        shares.create(tmp_path, "  ", days=30)
    with pytest.raises(InputError):
        shares.create(tmp_path, "x", days=0)


def test_share_command_line_creates_lists_and_revokes(tmp_path, capsys):
    folder = str(tmp_path / "ws")
    assert cli.main(["share", "create", "--label", "County", "--data-dir", folder]) == 0
    out = capsys.readouterr().out
    token = re.search(r"\?share=([A-Za-z0-9_-]+)", out).group(1)
    share = shares.verify(tmp_path / "ws", token)
    assert share and share.label == "County"
    assert cli.main(["share", "list", "--data-dir", folder]) == 0
    listed = capsys.readouterr().out
    assert share.id in listed and "active" in listed and token not in listed
    assert cli.main(["share", "revoke", share.id, "--data-dir", folder]) == 0
    assert shares.verify(tmp_path / "ws", token) is None
    assert cli.main(["share", "revoke", "zzz", "--data-dir", folder]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1
    actions = [e["action"] for e in audit.read(tmp_path / "ws")]
    assert actions == ["share-create", "share-revoke"]


# --- audit log and private files -------------------------------------------------------


def test_audit_log_is_private_and_newest_first_in_the_table(tmp_path):
    audit.record(tmp_path, "ana@agency.gov", "analyst", "upload", dataset="abc", rows_in=60)
    audit.record(tmp_path, "chief@agency.gov", "admin", "share-create", link="1234")
    assert stat.S_IMODE((tmp_path / db.DB_FILE).stat().st_mode) == 0o600
    lines = audit.read(tmp_path)
    assert [e["action"] for e in lines] == ["upload", "share-create"]
    assert lines[0]["details"] == {"dataset": "abc", "rows_in": 60}
    table = audit.frame(audit.read(tmp_path))
    assert table["who"].tolist() == ["chief@agency.gov", "ana@agency.gov"]
    with pytest.raises(ValueError):
        audit.record(tmp_path, "x", None, "made-up")
    assert len(audit.read(tmp_path)) == 2  # the refused entry left nothing behind
    assert [e["action"] for e in audit.read(tmp_path, limit=1)] == ["share-create"]


def test_private_folders_and_atomic_writes(tmp_path):
    folder = files.private_dir(tmp_path / "a" / "b")
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    files.write_atomic(folder / "x.json", "{}")
    assert stat.S_IMODE((folder / "x.json").stat().st_mode) == 0o600
    assert [p.name for p in folder.iterdir()] == ["x.json"]  # no temporary file left


# --- untrusted text --------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "![x](http://198.51.100.7/p.png)",
        "[click](javascript:alert(1))",
        "<img src=x onerror=alert(1)>",
        "**bold** _it_ `code` # heading",
        ":red[alarm] :material/home:",
        "$x^2$",
        "line one\nline two",
        "- a list item",
        "1. first",
        "# heading",
        "mail eve@example.org",
        "see http://198.51.100.7/x.png or WWW.example.org",
    ],
)
def test_escaped_text_has_no_markdown_left(text):
    escaped = escape_markdown(text)
    assert "\n" not in escaped
    assert not re.search(r"(?<!\\)[\[\]<>*_`$|~@]", escaped), escaped
    assert not re.search(r"(?<!\\):\S", escaped) and not re.match(r"[#+\-=>]|\d+\.", escaped)
    assert not re.search(r"(?i)(https?:|www\.)", escaped.replace("\\", ""))
    assert re.sub(r"\\(.)", r"\1", escaped).replace(WORD_JOINER, "") == " ".join(text.split())


@pytest.mark.parametrize("text", ["2+ MH contacts", "Share (%)", "Harbor-North", "Note: x"])
def test_ordinary_labels_keep_their_look(text):
    assert escape_markdown(text) == text


def test_escape_cuts_long_text():
    assert len(escape_markdown("a" * 1000, max_chars=50)) == 50


def test_a_personal_column_cannot_be_mapped_onto_a_field():
    peek = [["Incident #", "Call Type", "Subject Name", "Date of Birth"], ["1", "X", "Y", "Z"]]
    mapping = mp.at_row(peek, 0, "calls")
    with pytest.raises(InputError, match="personal data"):
        mp.apply_overrides(mapping, {"district": "Subject Name"})
    with pytest.raises(InputError, match="personal data"):
        mp.apply_overrides(mapping, {"district": "Date of Birth"})
    assert mp.apply_overrides(mapping, {"district": "Call Type"}).matches["district"].column == 1
