"""Notifications at the end of real crawls of the demo marketplace (loopback server, real Scrapy,
real Apprise to a loopback SMTP server and a loopback webhook): the crawl that finds the demo's
last two changes delivers exactly what each subscription's filters let through; the next crawl
delivers only the page it confirms removed; a notify run killed (SIGKILL) right after a send, restarted, sends no duplicate."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta

import pytest

from kb.demo.run import write_sources
from kb.demo.server import DemoServer
from kb.pipeline import crawl
from kb.sources import open_sources
from kb.store import Store
from kb.timeutil import ISO_FORMAT, to_datetime
from tests.support import REPO
from tests.support.notify_data import write_notify
from tests.support.receivers import SmtpReceiver, WebhookReceiver

pytestmark = pytest.mark.slow

METRICS = "northwind/customer-service-performance"  # substantive, high: 4% → 3% from 1 October
PAYMENTS = "northwind/payments-and-disbursements"  # minor, silent
CONDUCT = "northwind/code-of-conduct"  # substantive, the week before: history
REVIEWS = "northwind/customer-reviews"  # a new page, the week before: history
LEGACY = "northwind/legacy-shipping-templates"  # 404 in the last state, removed the day after
UPCOMING = "northwind/upcoming-changes"  # a new announcement, the week before: history


def notify_yaml(smtp: SmtpReceiver, hook: WebhookReceiver) -> str:
    return f"""\
site_url: https://policies.example.org/
subscriptions:
  - name: metrics
    to: ["{smtp.url("seller@example.com")}", "{hook.url("metrics")}"]
    documents: [{METRICS}]
  - name: high-only
    to: ["{hook.url("high")}"]
    severity: [high]
  - name: minor-by-mail
    to: ["{smtp.url("editor@example.com")}"]
    classes: [minor]
  - name: substantive-history
    to: ["{hook.url("history")}"]
    classes: [substantive]
    since: 2026-08-01
  - name: other-marketplace
    to: ["{hook.url("other")}"]
    marketplaces: [northwind]
    tags: [intellectual-property]
"""


def test_a_crawl_with_two_changes_delivers_exactly_the_expected_messages(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    with DemoServer() as server, SmtpReceiver() as smtp, WebhookReceiver() as hook:
        sources = open_sources(write_sources(home, server.base_url))
        *before, last = server.states
        for state in before:  # three weeks of history, no notify.yaml yet
            server.set_state(state.name)
            assert crawl(home, sources, fast=True, fixed_time=state.date).notify is None
        write_notify(home, notify_yaml(smtp, hook))

        server.set_state(last.name)
        report = crawl(home, sources, fast=True, fixed_time=last.date)
        assert sorted(report.record.new_versions) == [METRICS, PAYMENTS]
        notified = report.notify
        assert notified.failed == [] and notified.unconfirmed == []
        assert sorted(notified.started) == [
            "high-only",
            "metrics",
            "minor-by-mail",
            "other-marketplace",
            "substantive-history",
        ]
        sent = sorted(
            (m.subscription, m.shown_as.rsplit("/", 1)[-1], m.change_keys[0].rsplit("/", 1)[0]) for m in notified.sent
        )
        assert sent == [
            ("high-only", "high", METRICS),
            ("metrics", "metrics", METRICS),
            ("metrics", "seller%40example.com", METRICS),
            ("minor-by-mail", "editor%40example.com", PAYMENTS),
            ("substantive-history", "history", CONDUCT),  # since: 2026-08-01 asks for the history
            ("substantive-history", "history", REVIEWS),
            ("substantive-history", "history", METRICS),
            ("substantive-history", "history", UPCOMING),
        ]
        [seller] = smtp.to("seller@example.com")
        assert seller.subject.startswith("Customer service performance metrics: Late shipment rate target tightened")
        assert "Be ready by 1 October 2026, when the change takes effect." in seller.html
        assert (
            "https://policies.example.org/documents/northwind/customer-service-performance/#change-20260824T060000Z"
            in seller.html
        )
        [editor] = smtp.to("editor@example.com")
        assert editor.subject.startswith("Payments and disbursements:") and "silent" in editor.html
        assert len(smtp.mails) == 2
        assert [len(hook.at(path)) for path in ("metrics", "high", "history", "other")] == [1, 1, 4, 0]

        server.set_state(last.name)  # the same pages a day later: only the 404 confirmed, a page removed
        next_day = (to_datetime(last.date) + timedelta(days=1)).strftime(ISO_FORMAT)
        again = crawl(home, sources, fast=True, fixed_time=next_day).notify
        assert [(m.subscription, m.change_keys[0].rsplit("/", 1)[0]) for m in again.sent] == [
            ("substantive-history", LEGACY)
        ]
        assert again.failed == []
        assert hook.at("history")[-1]["title"] == "Page removed: northwind · Moving from legacy shipping templates"
        assert len(smtp.mails) == 2 and len(hook.posts) == 7

        # A notify run killed right after its first send: restarted, it sends that one no more.
        write_notify(
            home,
            notify_yaml(smtp, hook)
            + f"""\
  - name: late-joiner
    to: ["{hook.url("late")}"]
    since: 2026-08-01
""",
        )
        killed = notify_in_child(home, kill_after_first_send=True)
        assert killed.returncode == -9, killed.stderr
        assert len(hook.at("late")) == 1
        restarted = notify_in_child(home)
        assert restarted.returncode == 0, restarted.stderr
        assert "UNCONFIRMED  late-joiner → json://" in restarted.stderr
        titles = [post["title"] for post in hook.at("late")]
        assert len(titles) == len(set(titles)) == 6  # conduct, reviews, upcoming, metrics, payments, legacy: each once
        with Store(home) as store:
            states = [d.state for d in store.deliveries("late-joiner")]
        assert states == ["unconfirmed", "sent", "sent", "sent", "sent", "sent"]
        assert len(smtp.mails) == 2 and len(hook.posts) == 7 + 6


KILL_AFTER_FIRST_SEND = """
import os, signal, sys
import kb.notify.send as adapter
original = adapter.send
def send_then_die(*args, **kwargs):
    error = original(*args, **kwargs)
    os.kill(os.getpid(), signal.SIGKILL)  # after the send, before the store records it
adapter.send = send_then_die
from kb.cli import main
sys.exit(main(sys.argv[1:]))
"""


def notify_in_child(home, *, kill_after_first_send: bool = False) -> subprocess.CompletedProcess:
    code = (
        KILL_AFTER_FIRST_SEND
        if kill_after_first_send
        else "import sys; from kb.cli import main; sys.exit(main(sys.argv[1:]))"
    )
    return subprocess.run(
        [sys.executable, "-c", code, "notify", "--home", str(home)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        cwd=REPO,
    )
