"""A page added or removed is due to subscribers like any substantive change, and its message
names the page once, links it, and has no diff to show."""

from __future__ import annotations

from kb.models import Change, Document, Event, Reason
from kb.notify import item
from kb.notify.render import Renderer
from kb.notify.select import Subscription, matches

DOC = Document("shop/returns", "Returns policy", "https://shop.example/returns", "shop", "returns")
REMOVED = Change(
    id=9,
    key="shop/returns/20261102T060000Z",
    doc_id=DOC.doc_id,
    from_version_id=4,
    to_version_id=None,
    detected_at="2026-11-02T06:00:00Z",
    label="substantive",
    summary="Page removed: shop · Returns policy",
    reasons=(Reason("page-removed", "HTTP 404 Not Found since 2026-11-01T06:00:00Z"),),
    event=Event.REMOVED,
)


def test_a_removed_page_passes_the_default_filters_and_is_named_once_in_its_message():
    data = item(REMOVED, DOC, "https://policies.example.org/")
    assert data["event"] == "removed" and data["severity"] == "medium"
    assert matches(Subscription(name="s", to=("json://127.0.0.1:1/x",)), data)
    assert not matches(Subscription(name="s", to=("json://127.0.0.1:1/x",), classes=("minor",)), data)
    renderer = Renderer(None)
    common = {"subscription": {"name": "s", "mode": "each"}, "site_url": "https://policies.example.org/", "test": False}
    title, text = renderer.message("change", "text", change=data, digest=None, **common)
    assert title == "Page removed: shop · Returns policy"
    assert "HTTP 404 Not Found since 2026-11-01T06:00:00Z" in text
    _, markdown = renderer.message("change", "markdown", change=data, digest=None, **common)
    assert "(https://shop.example/returns)" in markdown
    edited = item(Change(1, "shop/returns/1", DOC.doc_id, 1, 2, "2026-11-01T06:00:00Z", "minor", "Wording"), DOC, "")
    assert renderer.message("change", "text", change=edited, digest=None, **common)[0] == "Returns policy: Wording"
