"""Link targets in canonical form: the same document behind a link always reads the same.

Pages decorate their links with parameters that identify a visit, not a document: Amazon's
``ref_=`` (as a parameter or as a ``/ref=…`` path segment), campaign tags (``utm_*``), click ids
(``gclid``, ``fbclid``), session ids (``;jsessionid=…``, ``sid=``, ``token=``). Each would make a
new version on every crawl. ``clean_link`` drops them and sorts what remains, so parameter order
does not matter either. Used by ``diffs.extract`` on HTML links and by ``diffs.normalize`` on
Markdown link targets (captures that arrive as Markdown get the same treatment).
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

# Query parameters that identify a visit, not a document.
TRACKING_PARAMS = re.compile(
    r"^(utm_.*|ref|ref_|_encoding|gclid|dclid|gbraid|wbraid|fbclid|msclkid|yclid|igshid|"
    r"mc_cid|mc_eid|_ga|_gl|_hsenc|_hsmi|pd_rd_.*|pf_rd_.*|sid|sessionid|session_id|"
    r"jsessionid|phpsessid|token|_token|csrf.*|trk|trkinfo|spm)$",
    re.IGNORECASE,
)
_AMAZON_REF_SEGMENT = re.compile(r"/ref=[^/?#]*$")
_PATH_SESSION = re.compile(r";(jsessionid|sid|sessionid)=[^/?#]*", re.IGNORECASE)


def clean_link(href: str, base_url: str = "") -> str | None:
    """Absolute http(s) URL without tracking parameters, remaining parameters sorted;
    ``None`` when the link should be reduced to its text (no usable http(s) target)."""
    href = href.strip()
    if not href or href.startswith("#"):
        return None
    absolute = urljoin(base_url, href) if base_url else href
    try:
        parts = urlsplit(absolute)
    except ValueError:  # "http://[broken" : not a link a reader can follow
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    path = _PATH_SESSION.sub("", _AMAZON_REF_SEGMENT.sub("", parts.path)) or "/"
    query = sorted((k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not TRACKING_PARAMS.match(k))
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path, urlencode(query), parts.fragment))


def canonical_target(href: str) -> str:
    """A Markdown link target in canonical form; targets that are not absolute http(s) URLs
    (relative paths, ``mailto:``, anchors) are kept as written."""
    cleaned = clean_link(href)
    return cleaned if cleaned is not None else href
