"""Export a home's store to one portable file, and restore a home from it.

The archive is a plain tar file (the only module importing warcio is this one)::

    manifest.json           format, counts, and the sha256 of every other member
    snapshots.warc.gz       every snapshot, in id order, as a WARC 1.1 record:
                              crawled responses → ``response`` records (HTTP status, headers, body),
                              imported captures → ``resource`` records,
                              a body already written → ``revisit`` (identical-payload-digest);
                            each carries Policywatch-* fields: snapshot id, document, origin,
                            sha256 of the body, the stored headers exactly (JSON), the status
    documents.jsonl.gz      one JSON object per line, columns as in the store
    checks.jsonl.gz
    versions.jsonl.gz       with the text
    changes.jsonl.gz        reasons, ops, sections and silent as JSON values
    subscriptions.jsonl.gz  notify.yaml's subscriptions as first seen, and every notification
    deliveries.jsonl.gz       sent or tried (so a restored home never sends them again)

Any WARC tool reads the snapshots (``warcio index snapshots.warc.gz``); ``zcat`` reads the rest.
Bodies are the bytes the store kept (decoded when the site compressed them), so the headers
that described the transfer are renamed ``x-archive-orig-*`` in the WARC, as replay tools do.

Export reads one consistent view of a store opened read-only (a crawl may run meanwhile) and
writes the file atomically. Restore refuses a home that holds a store, rebuilds the store in one
transaction beside it and moves it into place: a restore that is killed leaves no store at all,
never half of one. Ids are kept, so links and keys survive. (``kb.pipeline.restore`` then builds
the search index and verifies the result.)
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import re
import shutil
import tarfile
import tempfile
import uuid
import zlib
from dataclasses import dataclass, field
from http import HTTPStatus
from pathlib import Path

from kb.errors import ArchiveError, StoreError
from kb.store import Store, chain, reasons_json, sha256
from kb.store.lock import folder_problem, run_lock
from kb.timeutil import utc_now

FORMAT = "policywatch-archive"
FORMAT_VERSION = 1
WARC_MEMBER = "snapshots.warc.gz"
TABLE_MEMBERS = {
    table: f"{table}.jsonl.gz"
    for table in ("documents", "checks", "versions", "changes", "subscriptions", "deliveries", "marketplaces")
}
# Added after the first archives: restored when the archive holds them (an older one does not).
OPTIONAL_TABLES = ("subscriptions", "deliveries", "marketplaces")
JSON_COLUMNS = {"changes": ("reasons", "ops", "sections"), "deliveries": ("change_keys",)}
TRANSFER_HEADERS = ("content-encoding", "transfer-encoding", "content-length")
RECORD_NAMESPACE = uuid.UUID("6f1c1c9e-4a55-4b8e-9d1c-0a9d1b6b2c11")  # deterministic record ids


@dataclass
class ArchiveReport:
    path: Path
    counts: dict[str, int] = field(default_factory=dict)
    bytes: int = 0


# ----------------------------------------------------------------------------- export


def export(home: Path, target: Path) -> ArchiveReport:
    """Write the whole store of ``home`` to the archive ``target`` (replaced atomically)."""
    target = Path(target).resolve()
    if target.is_dir():
        raise ArchiveError(f"{target} is a folder", hint="give a file name, e.g. policywatch-export.tar")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=".policywatch-export-", dir=target.parent))
    except OSError as err:
        raise ArchiveError(
            f"cannot write {target}: {folder_problem(target.parent, err)}",
            hint="give a file in a folder you can write",
        ) from None
    exported_at = utc_now()
    try:
        with Store.open_read_only(home) as store, store.reading():
            counts = {"snapshots": _write_warc(store, work / WARC_MEMBER, exported_at)}
            for table, member in TABLE_MEMBERS.items():
                counts[table] = _write_jsonl(store, table, work / member)
            for table in OPTIONAL_TABLES:  # a home that never notified (or named) exports as before
                if not counts[table]:
                    del counts[table]
        members = [WARC_MEMBER, *(member for table, member in TABLE_MEMBERS.items() if table in counts)]
        manifest = {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "exported_at": exported_at,
            "counts": counts,
            "members": {name: _file_sha256(work / name) for name in members},
        }
        (work / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
        partial = work / "archive.tar"
        with tarfile.open(partial, "w", format=tarfile.PAX_FORMAT) as tar:
            for name in ["manifest.json", *members]:
                info = tar.gettarinfo(work / name, arcname=name)
                info.uid = info.gid = 0
                info.uname = info.gname = ""
                info.mtime = 0
                info.mode = 0o644
                with open(work / name, "rb") as handle:
                    tar.addfile(info, handle)
        os.replace(partial, target)  # atomic: never half an archive under the final name
    except OSError as err:
        raise ArchiveError(
            f"cannot write {target}: {err.strerror or err}", hint="check the folder's permissions and free space"
        ) from None
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return ArchiveReport(path=target, counts=counts, bytes=target.stat().st_size)


def _write_warc(store: Store, path: Path, exported_at: str) -> int:
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    count = 0
    first_seen: dict[str, tuple[str, str, str]] = {}  # body sha256 -> (uri, date, payload digest)
    with open(path, "wb") as handle:
        writer = WARCWriter(handle, gzip=True, warc_version="1.1")
        info = writer.create_warcinfo_record(
            WARC_MEMBER,
            {
                "software": "policywatch",
                "format": f"{FORMAT} {FORMAT_VERSION}",
                "description": "policy snapshots; Policywatch-* fields restore them exactly",
            },
        )
        info.rec_headers.replace_header("WARC-Record-ID", _record_id("warcinfo"))
        info.rec_headers.replace_header("WARC-Date", exported_at)
        writer.write_record(info)
        for row in store.rows("snapshots"):
            count += 1
            digest = row["sha256"]
            fields = {
                "WARC-Record-ID": _record_id(f"snapshot:{row['id']}"),
                "WARC-Date": row["fetched_at"],
                "Policywatch-Snapshot-Id": str(row["id"]),
                "Policywatch-Doc-Id": row["doc_id"],
                "Policywatch-Origin": row["origin"],
                "Policywatch-Status": str(row["http_status"]),
                "Policywatch-Sha256": digest,
                "Policywatch-Headers": json.dumps(json.loads(row["headers"]), sort_keys=True),
            }
            if row["headers"] != fields["Policywatch-Headers"]:  # keep the stored text itself
                fields["Policywatch-Headers"] = json.dumps(row["headers"])
                fields["Policywatch-Headers-Raw"] = "1"
            http = _http_headers(StatusAndHeaders, row) if row["origin"] != "import" else None
            if digest in first_seen:
                uri, date, payload_digest = first_seen[digest]
                record = writer.create_revisit_record(
                    row["url"], payload_digest, uri, date, http_headers=http, warc_headers_dict=fields
                )
            else:
                body = store.snapshot_body(row["id"])
                if http is None:
                    record = writer.create_warc_record(
                        row["url"],
                        "resource",
                        payload=io.BytesIO(body),
                        length=len(body),
                        warc_content_type="text/html",
                        warc_headers_dict=fields,
                    )
                else:
                    record = writer.create_warc_record(
                        row["url"],
                        "response",
                        payload=io.BytesIO(body),
                        length=len(body),
                        http_headers=http,
                        warc_headers_dict=fields,
                    )
            writer.write_record(record)  # computes the WARC digests
            if digest not in first_seen:
                first_seen[digest] = (
                    row["url"],
                    row["fetched_at"],
                    record.rec_headers.get_header("WARC-Payload-Digest"),
                )
    return count


def _http_headers(status_and_headers, row):
    headers = json.loads(row["headers"])
    pairs = []
    for name, value in sorted(headers.items()):
        if name.lower() in TRANSFER_HEADERS:
            name = f"x-archive-orig-{name}"  # the body is stored decoded: these no longer describe it
        pairs.append((name, value))
    status = row["http_status"]
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Unknown"
    return status_and_headers(f"{status} {phrase}", pairs, protocol="HTTP/1.1")


def _write_jsonl(store: Store, table: str, path: Path) -> int:
    count = 0
    parsed = JSON_COLUMNS.get(table, ())
    # mtime=0: the same store exports the same bytes.
    with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as out:
        for row in store.rows(table):
            for column in parsed:
                row[column] = json.loads(row[column])
            if table == "changes" and row.get("silent") is not None:
                row["silent"] = bool(row["silent"])
            out.write(json.dumps(row, ensure_ascii=False, sort_keys=True).encode("utf-8") + b"\n")
            count += 1
    return count


# ----------------------------------------------------------------------------- restore


def restore(source: Path, home: Path, *, head: str | None = None) -> ArchiveReport:
    """Rebuild a home from an archive. ``home`` must not hold a store yet. ``head``: a head
    published before (``kb.store.chain``); unless the restored history had it as of one of its
    checks, nothing is written."""
    source, home = Path(source), Path(home)
    if not source.is_file():
        raise ArchiveError(f"{source}: no such file")
    if Store.exists_in(home):
        raise ArchiveError(
            f"{home} already holds a store; restoring would mix two histories",
            hint="restore into a new or empty folder with --home",
        )
    with run_lock(home, "restore"):
        for stale in home.glob(".restore-*"):  # left by a restore that was killed
            shutil.rmtree(stale, ignore_errors=True)
        staging = Path(tempfile.mkdtemp(prefix=".restore-", dir=home))
        try:
            counts = _restore_into(source, staging)
            if head is not None:
                _check_head(source, staging, head)
            os.replace(staging / Store.FILE, home / Store.FILE)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return ArchiveReport(path=home / Store.FILE, counts=counts, bytes=(home / Store.FILE).stat().st_size)


def _restore_into(source: Path, staging: Path) -> dict[str, int]:
    try:
        tar = tarfile.open(source, "r:")
    except (tarfile.TarError, OSError) as err:
        raise ArchiveError(f"{source} is not a policywatch archive ({err})") from None
    with tar:
        manifest = _manifest(tar, source)
        counts: dict[str, int] = {}
        with Store(staging) as store, store.transaction():
            try:
                counts["documents"] = _restore_table(tar, manifest, store, "documents", source)
                counts["snapshots"] = _restore_warc(tar, manifest, store, source)
                for table in ("checks", "versions", "changes", *OPTIONAL_TABLES):
                    if table in OPTIONAL_TABLES and TABLE_MEMBERS[table] not in manifest["members"]:
                        continue  # an archive of a home that never notified, or an older one
                    counts[table] = _restore_table(tar, manifest, store, table, source)
            except tarfile.TarError as err:
                raise ArchiveError(f"{source} is damaged or cut short ({err})") from None
            for name, expected in manifest["counts"].items():
                if counts.get(name) != expected:
                    raise ArchiveError(
                        f"{source}: {name}: {counts.get(name)} restored, the manifest says "
                        f"{expected}; the archive is incomplete"
                    )
        with Store(staging) as store:
            with store.transaction():
                store.fill_chain()  # an archive older than the chain
            store.checkpoint()  # everything in the one file we move
    return counts


def _check_head(source: Path, staging: Path, published: str) -> None:
    """The head the archive's rows give (digests recomputed, not as stored) against a published one."""
    with Store(staging) as store:
        heads = {h for _, h in chain.heads(store._db, chain.compute(store._db))}
    if published.lower() not in heads:
        raise ArchiveError(
            f"{source}: its history does not give the published head {published}; "
            "it was rewritten, or it is another store's; nothing restored",
            hint="restore an archive of the store that published that head",
        )


def _manifest(tar: tarfile.TarFile, source: Path) -> dict:
    try:
        manifest = json.loads(tar.extractfile("manifest.json").read())
    except (KeyError, AttributeError, ValueError, tarfile.TarError):
        raise ArchiveError(f"{source} has no readable manifest.json") from None
    if not isinstance(manifest, dict):
        raise ArchiveError(f"{source}: manifest.json is a JSON {type(manifest).__name__}, not an object")
    if manifest.get("format") != FORMAT or manifest.get("version") != FORMAT_VERSION:
        raise ArchiveError(
            f"{source}: unsupported archive format {_shown(manifest.get('format'))} "
            f"version {_shown(manifest.get('version'))}",
            hint=f"this policywatch reads {FORMAT} version {FORMAT_VERSION}",
        )
    for key, value_type, kind in (("counts", int, "numbers"), ("members", str, "sha256 strings")):
        entries = manifest.get(key)
        if not isinstance(entries, dict) or not all(
            isinstance(v, value_type) and not isinstance(v, bool) for v in entries.values()
        ):
            raise ArchiveError(f"{source}: manifest.json: '{key}' is missing or is not an object of {kind}")
    return manifest


def _shown(value: object) -> str:
    """A value from the archive, short and printable, for a message."""
    text = repr(value)
    text = "".join(c if c.isprintable() else "?" for c in text)
    return text if len(text) <= 40 else text[:37] + "..."


def _brief(err: BaseException) -> str:
    """What a decoder said, without the raw bytes it quotes (gzip, zlib and warcio quote them)."""
    text = re.split(r"[\[(]?b?['\"]|,? first line", str(err), maxsplit=1)[0].rstrip(" ,:(")
    text = "".join(c if c.isprintable() and c.isascii() else "?" for c in text)[:100]
    return text or type(err).__name__


class _Member(io.RawIOBase):
    """A tar member read as a stream, its sha256 checked against the manifest once read to the end."""

    def __init__(self, tar: tarfile.TarFile, manifest: dict, name: str, source: Path):
        try:
            self._handle = tar.extractfile(name)
        except KeyError:
            self._handle = None
        if self._handle is None:
            raise ArchiveError(f"{source}: member {name} is missing")
        self._digest = hashlib.sha256()
        self._expected = manifest["members"].get(name)
        self._name, self._source = name, source

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self._handle.read(len(buffer))
        self._digest.update(data)
        buffer[: len(data)] = data
        return len(data)

    def check(self) -> None:
        while self.read(1 << 20):
            pass
        if self._digest.hexdigest() != self._expected:
            raise ArchiveError(
                f"{self._source}: member {self._name} does not match its sha256 in the manifest; the archive is damaged"
            )


def _restore_table(tar, manifest, store: Store, table: str, source: Path) -> int:
    member = _Member(tar, manifest, TABLE_MEMBERS[table], source)
    count = 0
    try:
        with gzip.GzipFile(fileobj=io.BufferedReader(member), mode="rb") as lines:
            for number, line in enumerate(lines, 1):
                where = f"{source}: {TABLE_MEMBERS[table]} line {number}"
                try:
                    row = json.loads(line)
                except ValueError:
                    raise ArchiveError(f"{where} is not JSON") from None
                _restore_row(store, table, row, where)
                count += 1
    except (OSError, EOFError, zlib.error) as err:
        raise ArchiveError(f"{source}: {TABLE_MEMBERS[table]} is damaged ({_brief(err)})") from None
    member.check()
    return count


def _restore_row(store: Store, table: str, row: object, where: str) -> None:
    """Check one exported row's shape and types before it is written; ``where``: its member and line."""
    if not isinstance(row, dict):
        raise ArchiveError(f"{where} is a JSON {type(row).__name__}, not an object")
    missing = [column for column in store.required_columns(table) if column not in row]
    if missing:
        raise ArchiveError(f"{where} has no {', '.join(missing)}")
    structured = JSON_COLUMNS.get(table, ())
    for column, value in row.items():
        allowed = (list,) if column in structured else (str, int, float, type(None))
        if not isinstance(value, allowed):
            raise ArchiveError(f"{where}: {_shown(column)} is a JSON {type(value).__name__}")
    if table == "changes":
        # Encoded as the store encodes them (kb.store.Store.add_change).
        try:
            row["reasons"] = reasons_json(row["reasons"])
        except (TypeError, KeyError, AttributeError):
            raise ArchiveError(f"{where}: reasons are not a list of {{kind, text}} objects") from None
        row["ops"] = json.dumps(row["ops"], ensure_ascii=False)
        row["sections"] = json.dumps(row["sections"], ensure_ascii=False)
        row["silent"] = None if row.get("silent") is None else int(row["silent"])
    if table == "deliveries":
        row["change_keys"] = json.dumps(row["change_keys"])
    if table == "versions" and (not isinstance(row["text"], str) or sha256(row["text"]) != row["text_sha256"]):
        raise ArchiveError(f"{where}: version {_shown(row['id'])} text does not match its sha256")
    try:
        store.insert_row(table, row)
    except ArchiveError:
        raise
    except StoreError as err:
        raise ArchiveError(f"{where}: {err}") from None


def _restore_warc(tar, manifest, store: Store, source: Path) -> int:
    from warcio.archiveiterator import ArchiveIterator
    from warcio.exceptions import ArchiveLoadFailed

    member = _Member(tar, manifest, WARC_MEMBER, source)
    count = 0
    try:
        for record in ArchiveIterator(io.BufferedReader(member)):
            if record.rec_type not in ("response", "resource", "revisit"):
                continue
            fields = record.rec_headers
            snapshot_id = fields.get_header("Policywatch-Snapshot-Id")
            if snapshot_id is None:
                continue  # a record some other tool added
            digest = fields.get_header("Policywatch-Sha256")
            if record.rec_type == "revisit":
                body = None
            else:
                body = record.raw_stream.read()
                if sha256(body) != digest:
                    raise ArchiveError(f"{source}: snapshot {snapshot_id}: body does not match its sha256")
                store.add_body(body)
            headers = fields.get_header("Policywatch-Headers")
            try:
                if fields.get_header("Policywatch-Headers-Raw"):
                    headers = json.loads(headers)
                row = {
                    "id": int(snapshot_id),
                    "doc_id": fields.get_header("Policywatch-Doc-Id"),
                    "url": fields.get_header("WARC-Target-URI"),
                    "fetched_at": fields.get_header("WARC-Date"),
                    "http_status": int(fields.get_header("Policywatch-Status")),
                    "headers": headers,
                    "sha256": digest,
                    "origin": fields.get_header("Policywatch-Origin"),
                }
            except (TypeError, ValueError):
                raise ArchiveError(
                    f"{source}: {WARC_MEMBER}: snapshot {_shown(snapshot_id)} has a missing or malformed field"
                ) from None
            _restore_row(store, "snapshots", row, f"{source}: {WARC_MEMBER} snapshot {_shown(snapshot_id)}")
            count += 1
    except (ArchiveLoadFailed, OSError, EOFError, zlib.error) as err:
        raise ArchiveError(f"{source}: {WARC_MEMBER} is not a readable WARC ({_brief(err)})") from None
    member.check()
    return count


def _record_id(key: str) -> str:
    return f"<urn:uuid:{uuid.uuid5(RECORD_NAMESPACE, key)}>"


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
