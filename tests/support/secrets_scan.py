"""Scan a folder of artifacts for secret values: the check that no password or token leaked.

Every test or benchmark that leaves artifacts behind (logs, notebooks, HTML snapshots, exports,
mails, stores) can hand the folder and the secrets it configured to :func:`scan`::

    hits = scan(folder, {"pbx password": pbx_pw, "smtp password": smtp_pw, "bot token": token})
    assert not hits, describe(hits)

A secret is looked for as it is and in the forms it takes on the way out: percent-encoded (in a
URL, with and without ``+`` for spaces, hex digits in either case), HTML-escaped, JSON-escaped.
Files are read as bytes, and containers are opened so a secret cannot hide in them: zip archives
(XLSX and other Office files), gzip files, mails (every MIME part decoded from base64 or
quoted-printable), Parquet files (every text value).  SQLite files and everything else are
scanned as they lie on disk (SQLite stores text uncompressed).

From a shell, with the secrets in environment variables (never on the command line)::

    python -m tests.support.secrets_scan FOLDER ATSNB_PBX_PASSWORD ATSNB_SMTP_PASSWORD …

prints one line per hit and exits 1 if there is any.
"""

from __future__ import annotations

import email
import email.policy
import gzip
import html
import io
import json
import os
import sys
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, quote_plus

MIN_LENGTH = 6  # a shorter "secret" would match by chance in any large file
MAX_BYTES = 512 * 1024 * 1024  # files larger than this are scanned in overlapping chunks


@dataclass(frozen=True)
class Hit:
    """One secret found: in which file (and which member or part of it), in which form."""

    path: Path
    secret: str
    form: str
    inside: str = ""

    def __str__(self) -> str:
        where = f"{self.path}" + (f" ({self.inside})" if self.inside else "")
        return f"{where}: {self.secret} ({self.form})"


def forms(value: str) -> dict[str, bytes]:
    """The byte strings ``value`` can appear as in an artifact, by the name of the form."""
    out = {"as is": value}
    for name, encoded in (("URL-encoded", quote(value, safe="")), ("form-encoded", quote_plus(value)),
                          ("URL path", quote(value, safe="/:@")), ("HTML-escaped", html.escape(value)),
                          ("JSON-escaped", json.dumps(value)[1:-1]), ("JSON-escaped ASCII", json.dumps(value, ensure_ascii=True)[1:-1])):
        if encoded != value:
            out[name] = encoded
            if "%" in encoded:
                out[name + ", lower-case hex"] = _lower_hex(encoded)
    unique: dict[str, bytes] = {}
    for name, text in out.items():
        data = text.encode()
        if data not in unique.values():
            unique[name] = data
    return unique


def _lower_hex(encoded: str) -> str:
    parts = encoded.split("%")
    return parts[0] + "".join("%" + p[:2].lower() + p[2:] for p in parts[1:])


def scan(folder: str | os.PathLike[str], secrets: Mapping[str, str],
         kept_in: Mapping[str, tuple[str, ...]] | None = None) -> list[Hit]:
    """Every place under ``folder`` where one of ``secrets`` (name → value) appears, in any form.

    ``kept_in`` names, per secret, the files that are its home (glob patterns on the path relative
    to ``folder``, e.g. the store's catalog for the bot tokens): it is not a leak there."""
    homes = kept_in or {}
    wanted = {}
    for name, value in secrets.items():
        if len(value) < MIN_LENGTH:
            raise ValueError(f"The secret {name!r} is shorter than {MIN_LENGTH} characters: "
                             "a scan for it would find it by chance.")
        wanted[name] = forms(value)
    hits: list[Hit] = []
    root = Path(folder)
    files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file() and not p.is_symlink())
    for path in files:
        relative = path.relative_to(root) if path != root else Path(path.name)
        for inside, data in _contents(path):
            for name, variants in wanted.items():
                if any(relative.match(pattern) for pattern in homes.get(name, ())):
                    continue
                for form, needle in variants.items():
                    if needle in data:
                        hits.append(Hit(path, name, form, inside))
                        break
    return hits


def describe(hits: list[Hit]) -> str:
    """The hits one per line (names of secrets only, never their values)."""
    return "\n".join(str(hit) for hit in hits) or "no secrets found"


def _contents(path: Path) -> Iterator[tuple[str, bytes]]:
    """The file's bytes, and the contents of what it contains (archive members, mail parts, …)."""
    try:
        with open(path, "rb") as fh:
            data = fh.read(MAX_BYTES)
            rest = fh.read(1)
    except OSError:
        return
    yield "", data
    if rest:  # a huge file: the remainder in chunks that overlap by more than any secret is long
        with open(path, "rb") as fh:
            offset = MAX_BYTES - 4096
            while True:
                fh.seek(offset)
                chunk = fh.read(MAX_BYTES)
                if not chunk:
                    break
                yield f"bytes from {offset}", chunk
                offset += MAX_BYTES - 4096
    yield from _opened(path.name, data)


def _opened(name: str, data: bytes, depth: int = 0) -> Iterator[tuple[str, bytes]]:
    if depth > 3:
        return
    if data[:4] == b"PK\x03\x04":
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                for member in archive.namelist():
                    content = archive.read(member)
                    yield member, content
                    yield from (((f"{member}/{inner}" if inner else member), more)
                                for inner, more in _opened(member, content, depth + 1))
        except (zipfile.BadZipFile, OSError, RuntimeError):
            return
    elif data[:2] == b"\x1f\x8b":
        try:
            content = gzip.decompress(data)
        except (OSError, EOFError):
            return
        yield "gunzipped", content
        yield from _opened(name, content, depth + 1)
    elif data[:4] == b"PAR1":
        yield from _parquet_texts(data)
    elif name.endswith(".eml") or _looks_like_mail(data):
        yield from _mail_parts(data)


def _parquet_texts(data: bytes) -> Iterator[tuple[str, bytes]]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(io.BytesIO(data))
    except (pa.ArrowException, OSError):
        return
    for column in table.column_names:
        values = table[column]
        if pa.types.is_string(values.type) or pa.types.is_large_string(values.type) or pa.types.is_binary(values.type):
            texts = [v if isinstance(v, bytes) else v.encode() for v in values.to_pylist() if v is not None]
            yield f"column {column}", b"\n".join(texts)


def _looks_like_mail(data: bytes) -> bool:
    head = data[:2048]
    return b"\nContent-Type:" in head and (head.startswith(b"From:") or b"\nSubject:" in head or
                                           head.startswith(b"Subject:") or head.startswith(b"Content-Type:"))


def _mail_parts(data: bytes) -> Iterator[tuple[str, bytes]]:
    message = email.message_from_bytes(data, policy=email.policy.default)
    for number, part in enumerate(message.walk()):
        if part.is_multipart():
            continue
        payload = part.get_payload(decode=True)
        if payload:
            label = f"mail part {number} {part.get_content_type()}"
            yield label, payload
            yield from ((f"{label}/{inner}", more) for inner, more in _opened(part.get_filename() or "", payload, 1))
    for header, value in message.items():
        yield f"mail header {header}", str(value).encode()


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print("usage: python -m tests.support.secrets_scan FOLDER VARIABLE [VARIABLE …]  "
              "(the secrets are read from those environment variables)", file=sys.stderr)
        return 2
    folder, names = argv[0], argv[1:]
    missing = [n for n in names if not os.environ.get(n)]
    if missing:
        print(f"not set: {', '.join(missing)}", file=sys.stderr)
        return 2
    hits = scan(folder, {n: os.environ[n] for n in names})
    print(describe(hits))
    return 1 if hits else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
