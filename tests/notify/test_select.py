"""Which changes are due, and how digests bundle them (pure)."""

from __future__ import annotations

from kb.models import Delivery
from kb.notify.select import (
    Subscription,
    after_start,
    batches,
    matches,
    period_of,
    period_words,
    starts_after,
    taken_keys,
)


def change(key="m/doc/1", at="2026-08-24T06:00:00Z", **extra) -> dict:
    base = {
        "key": key,
        "doc_id": key.rsplit("/", 1)[0],
        "marketplace": key.split("/")[0],
        "detected_at": at,
        "class": "substantive",
        "severity": "high",
        "tags": ["account-health"],
    }
    return {**base, **extra}


def sub(**fields) -> Subscription:
    return Subscription(name="s", to=("json://127.0.0.1:1/x",), **fields)


def test_each_filter_narrows_and_an_empty_filter_takes_everything():
    amazon, ebay = change("amazon-us/fees/1"), change("ebay/fees/1", severity="medium", tags=["fees-payments"])
    noise = change("amazon-us/fees/2", **{"class": "noise", "severity": "low"})
    assert [matches(sub(), c) for c in (amazon, ebay, noise)] == [True, True, False]  # noise only when asked
    assert matches(sub(classes=("noise",)), noise)
    assert [matches(sub(marketplaces=("ebay",)), c) for c in (amazon, ebay)] == [False, True]
    assert [matches(sub(documents=("amazon-us/fees",)), c) for c in (amazon, ebay)] == [True, False]
    assert [matches(sub(severity=("high",)), c) for c in (amazon, ebay)] == [True, False]
    assert [matches(sub(tags=("fees-payments", "returns-refunds")), c) for c in (amazon, ebay)] == [False, True]


def test_a_new_subscription_starts_after_the_newest_check_and_since_includes_its_moment():
    seen_at = "2026-08-24T06:00:00Z"
    start = starts_after(sub(), seen_at)
    assert not after_start(change(at=seen_at), start)  # already in the store when first seen
    assert after_start(change(at="2026-08-31T06:00:00Z"), start)
    since = starts_after(sub(since="2026-08-01T00:00:00Z"), seen_at)
    assert after_start(change(at="2026-08-01T00:00:00Z"), since)
    assert not after_start(change(at="2026-07-31T23:59:59Z"), since)


def delivery(keys, state, kind="each") -> Delivery:
    return Delivery(1, "s", "d", "json://…", kind, None, tuple(keys), state, None, "t", "t")


def test_sent_sending_and_unconfirmed_are_taken_failed_and_test_messages_are_not():
    deliveries = [
        delivery(["a"], "sent"),
        delivery(["b"], "sending"),
        delivery(["c"], "unconfirmed"),
        delivery(["d"], "failed"),
        delivery(["e"], "sent", kind="test"),
    ]
    assert taken_keys(deliveries) == {"a", "b", "c"}


def test_periods_are_utc_days_and_iso_weeks():
    assert period_of("2026-08-24T06:00:00Z", "daily") == ("2026-08-24", "2026-08-25T00:00:00Z")
    assert period_of("2026-08-24T06:00:00Z", "weekly") == ("2026-W35", "2026-08-31T00:00:00Z")  # a Monday
    assert period_of("2026-08-30T23:59:59Z", "weekly") == ("2026-W35", "2026-08-31T00:00:00Z")  # its Sunday
    assert period_words("2026-W35", "weekly") == "the week of 24–30 August 2026"
    assert period_words("2026-W36", "weekly") == "the week of 31 August – 6 September 2026"
    assert period_words("2026-08-24", "daily") == "24 August 2026"


def test_a_weekly_digest_bundles_its_week_once_the_week_is_over():
    week = [change(f"m/d{i}/1", at=f"2026-08-{day}T06:00:00Z") for i, day in enumerate((24, 26, 30))]
    next_week = [change("m/d9/1", at="2026-09-01T06:00:00Z")]
    during = batches(sub(mode="weekly"), week, now="2026-08-30T12:00:00Z")
    assert during == []  # the week is not over: nothing yet
    after = batches(sub(mode="weekly"), week + next_week, now="2026-09-02T00:00:00Z")
    assert [(b.period, len(b.changes)) for b in after] == [("2026-W35", 3)]  # the next week waits
    assert [c["key"] for c in after[0].changes] == ["m/d0/1", "m/d1/1", "m/d2/1"]  # oldest first


def test_each_mode_sends_one_message_per_change_at_once():
    got = batches(sub(), [change("m/b/1", at="2026-08-25T06:00:00Z"), change("m/a/1")], now="2026-08-25T06:00:00Z")
    assert [(b.kind, b.period, [c["key"] for c in b.changes]) for b in got] == [
        ("each", None, ["m/a/1"]),
        ("each", None, ["m/b/1"]),
    ]
