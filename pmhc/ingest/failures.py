"""Why a file could not be read, in one plain sentence naming the file (and sheet).

The workbook reader (Rust) reports failures as several exception types, and as a
`PanicException` (a BaseException) when a damaged file trips one of its own checks. Every
one of them ends here and becomes an `UnreadableFile` whose message says what is wrong
and what to do. The reason is found from the file's first bytes once the reader has
failed, so a file that reads is never judged by them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from pmhc.domain.errors import InputError

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# Excel 2.x, 3.0 and 4.0 files begin with a BIFF2/3/4 BOF record (no OLE container).
OLD_BIFF = (b"\x09\x00", b"\x09\x02", b"\x09\x04")
ENCRYPTED = ("EncryptedPackage".encode("utf-16-le"), "EncryptionInfo".encode("utf-16-le"))


class UnreadableFile(InputError):
    """A file we cannot read; the message is one plain sentence for the user."""


# BIFF5/BIFF8 workbook-globals BOF (record 0x0809); a FILEPASS record (0x002F) right after
# it means the workbook stream is encrypted.
_BIFF_BOF = b"\x09\x08"
_FILEPASS = b"\x2f\x00"


def biff_encrypted(data: bytes) -> bool:
    """An .xls whose workbook globals start with FILEPASS: a password to open it. The
    workbook reader does not notice and would read scrambled cells."""
    if not data.startswith(OLE_MAGIC):
        return False
    at = data.find(_BIFF_BOF, 512)
    while at != -1 and at < 1 << 16:
        length = int.from_bytes(data[at + 2 : at + 4], "little")
        kind = int.from_bytes(data[at + 6 : at + 8], "little") if length >= 4 else 0
        if length in (8, 16) and kind == 0x0005:  # BOF of the workbook globals
            after = at + 4 + length
            return data[after : after + 2] == _FILEPASS
        at = data.find(_BIFF_BOF, at + 2)
    return False


def is_reader_panic(error: BaseException) -> bool:
    """A panic inside a Rust extension (pyo3's PanicException), which derives from
    BaseException so that a bare `except Exception` misses it."""
    return type(error).__name__ == "PanicException"


def password_protected(name: str) -> UnreadableFile:
    return UnreadableFile(
        f"{name} is password-protected; remove the password in Excel and upload again."
    )


def not_a_spreadsheet(name: str) -> UnreadableFile:
    return UnreadableFile(
        f"{name} is not a spreadsheet (it is neither a workbook nor a table of text); "
        "export the data again as .xlsx or CSV and upload that."
    )


def too_old(name: str) -> UnreadableFile:
    return UnreadableFile(
        f"{name} is in the Excel 4.0 (or earlier) format, which cannot be read; open it in "
        "Excel, save as .xlsx and upload that."
    )


def no_cells(name: str) -> UnreadableFile:
    return UnreadableFile(f"{name} is empty: it has no cells; export the data again.")


def damaged(name: str, sheet: str | None = None) -> UnreadableFile:
    subject = f"Sheet {sheet!r} of {name}" if sheet else name
    return UnreadableFile(
        f"{subject} could not be read: the file is damaged; open it in Excel, save it again "
        "as .xlsx and upload that."
    )


def diagnose(name: str, head: bytes, error: BaseException | None) -> UnreadableFile:
    """The reason a workbook failed to open, from its first bytes and the reader's words."""
    text = str(error or "").lower()
    if head.startswith(OLE_MAGIC) and any(mark in head for mark in ENCRYPTED):
        return password_protected(name)
    if "password" in text or "encrypt" in text:
        return password_protected(name)
    if head.startswith(OLD_BIFF):
        return too_old(name)
    if not head.startswith((b"PK", OLE_MAGIC)):  # .xlsx, .xlsb and .ods are zip files
        return not_a_spreadsheet(name)
    return damaged(name)


@contextmanager
def reading(name: str, sheet: str | None = None) -> Iterator[None]:
    """Turn any failure of the workbook reader inside the block into one sentence."""
    try:
        yield
    except InputError:
        raise
    except Exception as e:  # the reader raises many error types for damaged files
        raise damaged(name, sheet) from e
    except BaseException as e:  # a Rust panic, and only that: never Ctrl-C or exit
        if not is_reader_panic(e):
            raise
        raise damaged(name, sheet) from e
