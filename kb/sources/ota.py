"""Convert Open Terms Archive declarations into policywatch source files.

An OTA declaration (``<Service>.json``) names a service and, per terms type, the
page(s) to fetch and how to extract them::

    {"name": "Etsy", "terms": {"Marketplace Sellers Conditions": {
        "fetch": "https://www.etsy.com/legal/sellers/",
        "select": [{"startAfter": "#category-dropdown", "endBefore": "#locale_overlay_container"}],
        "executeClientScripts": true}}}

Each terms type becomes one document: ``fetch`` → ``url``, ``select``/``remove``
(CSS selectors and range selectors ``startBefore``/``startAfter``/``endBefore``/
``endAfter``) → ``select``/``remove`` with snake_case range keys,
``executeClientScripts`` → ``render: browser``, ``combine`` (several pages, each
inheriting the document-level keys) → ``pages``. Older declarations use
``documents`` instead of ``terms``; both are read.

What cannot be carried over is reported, never silently dropped: ``filter`` names
JavaScript functions (``<Service>.filters.js``) that policywatch does not run, and
PDF documents are not extracted. The converted file is validated with the same
strict loader as every other source file before it is written.
"""

from __future__ import annotations

import json
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from kb.errors import DeclarationError
from kb.sources import load_sources
from kb.sources.yamlio import YamlProblem, dump, read_user_file

RANGE_KEYS = {
    "startBefore": "start_before",
    "startAfter": "start_after",
    "endBefore": "end_before",
    "endAfter": "end_after",
}
PAGE_KEYS = {"fetch", "select", "remove", "filter", "executeClientScripts"}
DOCUMENT_KEYS = PAGE_KEYS | {"combine"}
# OTA terms types (github.com/OpenTermsArchive/terms-types) → our document types.
TYPE_MAP = {
    "terms of service": "agreement",
    "marketplace sellers conditions": "agreement",
    "commercial terms": "agreement",
    "developer terms": "agreement",
    "seller warranty": "agreement",
    "business mediation policy": "policy",
    "community guidelines": "code-of-conduct",
    "code of conduct": "code-of-conduct",
    "acceptable use policy": "prohibited",
    "copyright claims policy": "ip",
    "intellectual property policy": "ip",
    "imprint": "help",
}


@dataclass
class Conversion:
    source: Path
    marketplace: str
    name: str
    documents: list[dict] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def yaml_text(self) -> str:
        header = (
            f"# Converted from the Open Terms Archive declaration {self.source.name}\n"
            f"# by `policywatch sources import-ota`. Re-run the import to refresh it.\n"
        )
        notes = "".join(f"# note: {w}\n" for w in self.warnings)
        body = {"marketplace": self.marketplace, "name": self.name, "documents": self.documents}
        return header + notes + dump(body)


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def convert_file(path: Path, marketplace: str | None = None) -> Conversion:
    """Read an OTA declaration and convert it; raise ``DeclarationError`` if it cannot be."""
    path = Path(path)
    if not path.exists():
        raise DeclarationError(
            f"{path}: no such file",
            hint="give the path of an Open Terms Archive declaration (.json)",
        )
    try:
        data = json.loads(read_user_file(path))
    except YamlProblem as exc:
        raise DeclarationError(f"{path.name}: {exc.where}: {exc.problem}", hint=exc.fix) from None
    except RecursionError:  # Python's json parser recurses once per level of nesting
        raise DeclarationError(
            f"{path.name}: values nested too deep", hint="give an Open Terms Archive declaration"
        ) from None
    except json.JSONDecodeError as exc:
        raise DeclarationError(
            f"{path.name}: invalid JSON at line {exc.lineno}",
            hint="give an Open Terms Archive declaration, not a history file",
        ) from None
    if not isinstance(data, dict) or not isinstance(data.get("terms", data.get("documents")), dict):
        raise DeclarationError(
            f"{path.name}: no 'terms' in this file",
            hint="give a service declaration (<Service>.json), not a history or filters file",
        )
    name = str(data.get("name") or path.stem)
    # A file name like "Selling Services Terms@0ad53e7.json" pins a commit: not part of the id.
    market = marketplace or slug(path.stem.split("@")[0])
    conversion = Conversion(source=path, marketplace=market, name=name)
    for terms_type, declaration in data.get("terms", data.get("documents")).items():
        document = _document(conversion, name, terms_type, declaration)
        if document is not None:
            conversion.documents.append(document)
    if not conversion.documents:
        raise DeclarationError(
            f"{path.name}: nothing to convert ({'; '.join(conversion.warnings)})",
            hint="policywatch tracks HTML pages",
        )
    _validate(conversion)
    return conversion


def write(conversion: Conversion, out_dir: Path) -> Path:
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"{conversion.marketplace}.yaml"
    target.write_text(conversion.yaml_text(), encoding="utf-8")
    return target


def _document(conversion: Conversion, name: str, terms_type: str, declaration) -> dict | None:
    where = f"{conversion.source.name}: {terms_type}"
    if not isinstance(declaration, dict):
        raise DeclarationError(
            f"{where}: expected an object with fetch/select",
            hint="check the declaration against Open Terms Archive's schema",
        )
    _known(where, declaration, DOCUMENT_KEYS)
    document: dict = {
        "id": slug(terms_type),
        "title": f"{name} {terms_type}",
        "type": TYPE_MAP.get(terms_type.lower(), "policy"),
    }
    if "combine" in declaration:
        shared = {k: v for k, v in declaration.items() if k != "combine"}
        pages = []
        for i, page in enumerate(declaration["combine"]):
            _known(f"{where}: combine[{i}]", page, PAGE_KEYS)
            pages.append(_page(conversion, f"{where}: combine[{i}]", {**shared, **page}))
        if any(p is None for p in pages):
            return None
        if len(pages) == 1:
            document.update(pages[0])
        else:
            document["pages"] = pages
        return document
    page = _page(conversion, where, declaration)
    if page is None:
        return None
    document.update(page)
    return document


def _page(conversion: Conversion, where: str, declaration: dict) -> dict | None:
    url = declaration.get("fetch")
    if not isinstance(url, str):
        raise DeclarationError(f"{where}: no fetch URL", hint="every OTA page declares 'fetch'")
    parts = urlsplit(url)
    if parts.path.lower().endswith(".pdf") or "ext=.pdf" in parts.query.lower():
        conversion.warnings.append(
            f"{where}: {url} is a PDF; policywatch extracts HTML pages only, so this document is not converted"
        )
        return None
    page: dict = {"url": url}
    for key in ("select", "remove"):
        if key in declaration:
            page[key] = [_selector(where, key, item) for item in _as_list(declaration[key])]
    if declaration.get("executeClientScripts"):
        page["render"] = "browser"
    if declaration.get("filter"):
        names = ", ".join(map(str, _as_list(declaration["filter"])))
        conversion.warnings.append(
            f"{where}: filter {names} is JavaScript (filters.js) and is not "
            "run by policywatch; add remove selectors if it drops noise"
        )
    return page


def _selector(where: str, key: str, item):
    if isinstance(item, str):
        return item
    if isinstance(item, dict) and set(item) <= set(RANGE_KEYS):
        return {RANGE_KEYS[k]: v for k, v in item.items()}
    raise DeclarationError(
        f"{where}: {key}: cannot convert {json.dumps(item)}",
        hint="OTA selectors are CSS strings or range objects (startBefore/startAfter/endBefore/endAfter)",
    )


def _as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def _known(where: str, declaration: dict, allowed: set[str]) -> None:
    unknown = sorted(set(declaration) - allowed)
    if unknown:
        raise DeclarationError(
            f"{where}: unknown key {unknown[0]!r}",
            hint=f"Open Terms Archive keys here: {', '.join(sorted(allowed))}",
        )


def _validate(conversion: Conversion) -> None:
    """The converted file must load with the strict loader, like any hand-written one."""
    with tempfile.TemporaryDirectory() as folder:
        write(conversion, Path(folder))
        try:
            load_sources(Path(folder))
        except DeclarationError as exc:
            raise DeclarationError(
                f"{conversion.source.name} converts to an invalid declaration: {exc}",
                hint="the OTA declaration uses something policywatch cannot express",
            ) from None
