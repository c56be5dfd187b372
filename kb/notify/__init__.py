"""Tell people about changes: ``notify.yaml``'s subscriptions, sent through Apprise.

The modules, in the order a run goes through them:

- ``config``: ``<home>/notify.yaml``, read strictly (``load_notify``);
- ``select``: which changes are due to each destination, bundled into messages (pure);
- ``render``: titles and bodies from templates, the home's own first (the only importer of Jinja2);
- ``send``: one message to one Apprise URL (the only importer of Apprise).

``run`` sends what is due; ``kb.pipeline.crawl`` calls it at the end of every crawl when the home
has a ``notify.yaml``, and ``policywatch notify`` alone. The store records each subscription when
it is first seen (its start: the newest check then) and every message (``Store.begin_delivery``).

**At most once.** A message is recorded as ``sending`` (committed) before Apprise is called and
``sent`` or ``failed`` after. A run killed in between leaves it ``sending``; the next run marks it
``unconfirmed``, reports it, and never sends its changes to that destination again: a change
reaches each destination of a subscription at most once, never twice. A message that failed
releases its changes: the next run sends them again (the destination's error is shown in
``policywatch status`` and on the site meanwhile). After a destination fails, a run sends it
nothing more; its other messages wait for the next run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin

from diffs.brief import change_json
from kb.errors import UsageError
from kb.models import Change, Delivery, DeliveryState, Document, Reason
from kb.notify import send as apprise_send
from kb.notify.config import NotifyConfig, load_notify, notify_path
from kb.notify.render import Renderer
from kb.notify.select import (
    Batch,
    Subscription,
    after_start,
    batches,
    matches,
    period_of,
    period_words,
    starts_after,
    taken_keys,
)
from kb.publish.urls import change_permalink
from kb.store import Store, sha256
from kb.timeutil import utc_now

__all__ = ["Message", "NotifyConfig", "NotifyReport", "load_notify", "notify_path", "run", "send_test"]

Sender = Callable[..., "str | None"]  # send(url, *, title, body, fmt) -> error or None


@dataclass(frozen=True)
class Message:
    subscription: str
    shown_as: str  # the destination, secrets masked
    fmt: str  # html | markdown | text
    batch: Batch
    title: str
    body: str

    @property
    def change_keys(self) -> tuple[str, ...]:
        return tuple(c["key"] for c in self.batch.changes)


@dataclass
class NotifyReport:
    sent: list[Message] = field(default_factory=list)
    failed: list[tuple[Message, str]] = field(default_factory=list)  # (message, the destination's error)
    planned: list[Message] = field(default_factory=list)  # a dry run: what would be sent
    unconfirmed: list[Delivery] = field(default_factory=list)  # found still sending: never resent
    started: list[str] = field(default_factory=list)  # subscriptions seen for the first time
    waiting: int = 0  # changes held for a digest whose period has not ended
    problem: str = ""  # why nothing was sent at all (a broken template), at the end of a crawl


def run(
    store: Store,
    config: NotifyConfig,
    *,
    home: Path,
    now: str | None = None,
    new_start: str | None = None,
    dry_run: bool = False,
    sender: Sender | None = None,
) -> NotifyReport:
    """Send every message that is due. ``now`` decides which digest periods have ended (default:
    the clock); ``new_start``: where a subscription seen for the first time starts (default: the
    newest check in the store). A dry run writes nothing and sends nothing."""
    sender = sender or apprise_send.send
    clock = utc_now()
    now = now or clock
    report = NotifyReport()
    if not dry_run:
        report.unconfirmed = store.unconfirm_deliveries(clock)
    new_start = store.newest_check_time() if new_start is None else new_start
    known = store.subscription_starts()
    starts = {}  # (subscription, destination) → the newest check when first seen
    for sub in config.subscriptions:
        if not any(name == sub.name for name, _ in known):
            report.started.append(sub.name)
        for url in sub.to:
            key = (sub.name, destination_id(url))
            if dry_run:
                starts[key] = known.get(key, new_start)
            else:
                starts[key] = store.start_subscription(*key, added_at=clock, starts_after=new_start)
    # only the changes some destination may still get: a crawl's notify must not read the whole history
    bounds = [
        starts_after(sub, starts[(sub.name, destination_id(url))])[0] for sub in config.subscriptions for url in sub.to
    ]
    items = change_items(store, config.site_url, since=min(bounds)) if bounds else []
    by_destination: dict[tuple[str, str], list[Delivery]] = {}
    for delivery in store.deliveries():
        by_destination.setdefault((delivery.subscription, delivery.destination), []).append(delivery)
    renderer = Renderer(home)
    for sub in config.subscriptions:
        wanted = [c for c in items if matches(sub, c)]
        for url in sub.to:
            destination = destination_id(url)
            start = starts_after(sub, starts[(sub.name, destination)])
            taken = taken_keys(by_destination.get((sub.name, destination), ()))
            due = [c for c in wanted if after_start(c, start) and c["key"] not in taken]
            ready = batches(sub, due, now)
            report.waiting += len(due) - sum(len(b.changes) for b in ready)
            fmt = apprise_send.body_format(url)
            for batch in ready:
                message = compose(renderer, sub, batch, fmt, url, config.site_url)
                if dry_run:
                    report.planned.append(message)
                    continue
                error = deliver(store, sender, url, message)
                if error is None:
                    report.sent.append(message)
                else:
                    report.failed.append((message, error))
                    break  # this destination waits for the next run
    return report


def deliver(store: Store, sender: Sender, url: str, message: Message, kind: str | None = None) -> str | None:
    """Record the message as sending, send it, record how it went; the destination's error or None."""
    batch = message.batch
    delivery_id = store.begin_delivery(
        subscription=message.subscription,
        destination=destination_id(url),
        shown_as=message.shown_as,
        kind=kind or batch.kind,
        period=batch.period,
        change_keys=message.change_keys,
        started_at=utc_now(),
    )
    error = sender(url, title=message.title, body=message.body, fmt=message.fmt)
    store.finish_delivery(
        delivery_id, DeliveryState.SENT if error is None else DeliveryState.FAILED, error=error, finished_at=utc_now()
    )
    return error


def destination_id(url: str) -> str:
    """How the store knows a destination: the sha256 of its URL without the password, so that a
    new SMTP password is the same mailbox (and the URL's secrets are never stored)."""
    return sha256(apprise_send.without_password(url))


def compose(
    renderer: Renderer, sub: Subscription, batch: Batch, fmt: str, url: str, site_url: str, *, test: bool = False
) -> Message:
    data = {
        "subscription": {"name": sub.name, "mode": sub.mode},
        "site_url": site_url,
        "test": test,
    }
    if batch.kind == "each":
        title, body = renderer.message("change", fmt, change=batch.changes[0], digest=None, **data)
    else:
        digest = {"period": batch.period, "words": period_words(batch.period, batch.kind)}
        title, body = renderer.message("digest", fmt, changes=list(batch.changes), digest=digest, **data)
    return Message(sub.name, apprise_send.shown_as(url), fmt, batch, title, body)


def change_items(store: Store, site_url: str, *, since: str | None = None) -> list[dict]:
    """Every reported change (detected at or after ``since``) as templates and filters see it:
    ``change_json`` plus its marketplace and its permalink on the site; oldest first."""
    documents = {d.doc_id: d for d in store.documents()}
    names = store.marketplace_names()
    return [item(change, documents.get(change.doc_id), site_url, names) for change in store.changes(since=since)]


def item(change: Change, document: Document | None, site_url: str, names: dict[str, str] | None = None) -> dict:
    """``marketplace`` stays the id subscriptions filter on; the brief names it (``names``)."""
    market = document.marketplace if document else change.doc_id.split("/")[0]
    return {
        **change_json(change, document, (names or {}).get(market)),
        "marketplace": market,
        "permalink": urljoin(site_url, change_permalink(change)),
    }


def send_test(
    store: Store, config: NotifyConfig, name: str, *, home: Path, sender: Sender | None = None
) -> list[tuple[str, str | None]]:
    """Send a sample message to every destination of one subscription: its newest matching
    change (a made-up one when the store has none), marked as a test and never counted as sent.
    Returns (destination shown, error or None)."""
    sub = config.get(name)
    if sub is None:
        raise UsageError(
            f"no subscription '{name}' in {config.path}",
            hint=f"one of: {', '.join(s.name for s in config.subscriptions)}",
        )
    sender = sender or apprise_send.send
    items = change_items(store, config.site_url)
    chosen = [c for c in items if matches(sub, c)] or items or [item(SAMPLE, None, config.site_url)]
    chosen = chosen[-3:] if sub.mode != "each" else chosen[-1:]
    period = period_of(chosen[-1]["detected_at"], sub.mode)[0] if sub.mode != "each" else None
    batch = Batch(sub.mode, period, tuple(chosen))
    renderer = Renderer(home)
    results = []
    for url in sub.to:
        message = compose(renderer, sub, batch, apprise_send.body_format(url), url, config.site_url, test=True)
        results.append((message.shown_as, deliver(store, sender, url, message, kind="test")))
    return results


SAMPLE = Change(
    id=0,
    key="example/seller-agreement/20260824T060000Z",
    doc_id="example/seller-agreement",
    from_version_id=0,
    to_version_id=0,
    detected_at="2026-08-24T06:00:00Z",
    label="substantive",
    summary="Late shipment rate target lowered from 4% to 3%; effective 2026-10-01 (38 days' notice)",
    reasons=(Reason("number", "Late shipment rate target: under 4% → 3%", "Account health › Targets"),),
    effective_date="2026-10-01",
    notice_days=38,
    tags=("account-health",),
)
