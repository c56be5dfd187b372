"""Issue 16 point 3: every publish puts the store's head digest on the site and in every feed,
where readers who cache them keep it (kb.store.chain; docs/reliability.md)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

from kb.cli import main
from kb.publish.build import render_sources
from kb.store import Store
from tests.support.builders import build_store


def test_head_is_in_head_json_on_the_home_page_and_in_every_feed(tmp_path):
    build_store(tmp_path)
    with Store(tmp_path) as store:
        data, head = store.publish_input(), store.head()
    assert len(head) == 64 and data.head == head
    files = render_sources(data, "https://pw.example/")
    assert json.loads(files["docs/head.json"]) == {"head": head, "documents": 2}
    assert f"<code>{head}</code>" in files["docs/index.md"].decode()
    feeds = {path: content for path, content in files.items() if path.startswith("docs/feeds/") or "/feed." in path}
    xml = [p for p in files if p.endswith((".xml", ".atom", ".rss")) and "sitemap" not in p]
    jsons = [p for p in files if p.endswith(".json") and p.startswith("docs/") and "feed" in p]
    assert xml and jsons, sorted(feeds)
    for path in xml:
        root = ET.fromstring(files[path])
        terms = [c.get("term") or c.text for c in root.iter() if c.tag.endswith("category")]
        assert f"policywatch-head:{head}" in terms, path
    for path in jsons:
        assert json.loads(files[path])["_policywatch"] == {"head": head}, path


def test_publish_writes_head_json_at_the_site_root(tmp_path, capsys):
    build_store(tmp_path)
    assert main(["publish", "--home", str(tmp_path)]) == 0
    with Store(tmp_path) as store:
        head = store.head()
    assert json.loads((tmp_path / "site" / "head.json").read_text())["head"] == head
    assert head in (tmp_path / "site" / "index.html").read_text()
    capsys.readouterr()
    assert main(["verify", "--home", str(tmp_path), "--head", head]) == 0
