"""Feed checks shared by the feed and publish tests."""

from __future__ import annotations

import json
from datetime import datetime

import feedparser


def json_feed_as_entries(content: bytes) -> feedparser.FeedParserDict:
    """Check a JSON Feed 1.1 against its specification and return it shaped like feedparser's
    result (feedparser 6.0 does not read JSON Feed)."""
    document = json.loads(content)
    assert document["version"] == "https://jsonfeed.org/version/1.1"
    assert isinstance(document["title"], str) and document["title"]
    for key in ("home_page_url", "feed_url"):
        assert document[key].startswith("https://"), key
    entries = []
    for item in document["items"]:
        assert isinstance(item["id"], str) and item["id"]
        assert isinstance(item.get("content_html"), str)
        published = datetime.fromisoformat(item["date_published"])
        assert published.tzinfo is not None  # RFC 3339
        assert all(isinstance(tag, str) for tag in item.get("tags", []))
        entries.append(
            feedparser.FeedParserDict(
                id=item["id"],
                link=item["url"],
                title=item["title"],
                published_parsed=published.timetuple(),
                description=item["content_html"],
                tags=[feedparser.FeedParserDict(term=t) for t in item.get("tags", [])],
            )
        )
    return feedparser.FeedParserDict(bozo=0, version="json11", entries=entries, feed=document)
