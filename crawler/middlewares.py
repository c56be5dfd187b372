"""Keep every request inside the declared hosts, and off private addresses unless allowed."""
from __future__ import annotations

from urllib.parse import urlsplit

from scrapy.exceptions import IgnoreRequest

from kb.sources import is_private_host


class ScopeGuard:
    def process_request(self, request, spider=None):
        plan = getattr(spider, "plan", None) if spider is not None else None
        if plan is None:
            return None
        parts = urlsplit(request.url)
        host = parts.hostname or ""
        if request.url.endswith("/robots.txt") and host in plan.allowed_hosts:
            return None
        if parts.scheme not in ("http", "https"):
            raise IgnoreRequest(f"out of scope: scheme '{parts.scheme}' is not http(s)")
        if host not in plan.allowed_hosts:
            raise IgnoreRequest(f"out of scope: host '{host}' is not declared")
        if is_private_host(host) and host not in plan.private_hosts:
            raise IgnoreRequest(f"out of scope: '{host}' is a private address")
        return None
