"""Deliveries through Apprise to loopback receivers: exactly the filtered changes, once each; a
failing destination retried and shown; a run killed between sending and recording sends no
duplicate; digests bundle their period and never repeat one another."""

from __future__ import annotations

import json

import pytest

from kb import pipeline
from kb.cli import main
from kb.models import DeliveryState
from kb.notify import send as apprise_send
from kb.publish import render_sources
from kb.store import Store
from tests.support.notify_data import Made, add_changes, write_notify
from tests.support.receivers import SmtpReceiver, WebhookReceiver

AUG_24, AUG_25, AUG_31 = "2026-08-24T06:00:00Z", "2026-08-25T06:00:00Z", "2026-08-31T06:00:00Z"


@pytest.fixture
def receivers():
    with SmtpReceiver() as smtp, WebhookReceiver() as hook:
        yield smtp, hook


def subscriptions(smtp, hook, extra: str = "") -> str:
    return f"""\
site_url: https://policies.example.org/
subscriptions:
  - name: amazon-important
    to: ["{smtp.url("seller@example.com")}", "{hook.url("amazon")}"]
    marketplaces: [amazon-us]
    classes: [substantive]
    since: 2026-08-01
  - name: everything-high
    to: ["{hook.url("high")}"]
    severity: [high]
    since: 2026-08-01
{extra}"""


def test_each_destination_gets_exactly_the_changes_its_filters_let_through_once(tmp_path, receivers):
    smtp, hook = receivers
    fees, minor, ebay = add_changes(
        tmp_path,
        [
            Made("amazon-us/fees", AUG_24, effective_date="2026-10-01"),
            Made("amazon-us/returns", AUG_24, label="minor", kind="wording", summary="wording"),
            Made("ebay/fees", AUG_25, tags=("account-health",), summary="Defect rate under 2%"),
        ],
    )
    write_notify(tmp_path, subscriptions(smtp, hook))
    report = pipeline.notify(tmp_path)
    assert not report.failed and len(report.sent) == 4
    assert [m.subject for m in smtp.to("seller@example.com")] == [
        "Fees: Late shipment rate target lowered from 4% to 3%, from 1 October 2026"
    ]
    assert [p["title"] for p in hook.at("amazon")] == [
        "Fees: Late shipment rate target lowered from 4% to 3%, from 1 October 2026"
    ]
    assert [p["title"] for p in hook.at("high")] == [
        "Fees: Late shipment rate target lowered from 4% to 3%, from 1 October 2026",
        "Fees: Defect rate under 2%",
    ]
    mail = smtp.mails[0]
    assert "https://policies.example.org/documents/amazon-us/fees/#change-20260824T060000Z" in mail.html
    assert "What to do:" in mail.html and "Be ready by 1 October 2026" in mail.html
    assert "<strong>Takes effect:</strong> 1 October 2026" in mail.html
    assert "Why it matters" in mail.html and "high importance" in mail.html
    assert "Be ready by 1 October 2026" in mail.text  # the plain-text part, for clients that read no HTML
    markdown = hook.at("amazon")[0]["message"]
    assert "**What to do:**" in markdown
    assert (
        "[See the change](https://policies.example.org/documents/amazon-us/fees/#change-20260824T060000Z)" in markdown
    )
    with Store(tmp_path) as store:
        recorded = {(d.subscription, d.shown_as.split("/")[-1], d.change_keys, d.state) for d in store.deliveries()}
    assert ("amazon-important", "amazon", (fees,), "sent") in recorded
    assert minor not in {k for *_, keys, _ in recorded for k in keys}
    assert ("everything-high", "high", (ebay,), "sent") in recorded

    again = pipeline.notify(tmp_path)
    assert again.sent == [] and again.failed == []
    assert len(smtp.mails) == 1 and len(hook.posts) == 3


def test_a_new_subscription_sends_only_what_is_detected_after_it_was_first_seen(tmp_path, receivers):
    smtp, hook = receivers
    add_changes(tmp_path, [Made("amazon-us/fees", AUG_24)], checked_at=AUG_24)
    write_notify(tmp_path, subscriptions(smtp, hook).replace("    since: 2026-08-01\n", ""))
    first = pipeline.notify(tmp_path)
    assert first.started == ["amazon-important", "everything-high"] and first.sent == []  # no history unasked
    [later] = add_changes(tmp_path, [Made("amazon-us/fees", AUG_31, summary="Fee raised to 16%")])
    second = pipeline.notify(tmp_path)
    assert [m.change_keys for m in second.sent] == [(later,), (later,), (later,)]
    assert [m.subject for m in smtp.mails] == ["Fees: Fee raised to 16%"]


def test_a_run_killed_between_sending_and_recording_never_sends_twice(tmp_path, receivers):
    """The guarantee is at most once: what was recorded as sending before the kill is reported
    as unconfirmed and never sent again; everything else goes on as usual."""
    smtp, hook = receivers
    [first] = add_changes(tmp_path, [Made("amazon-us/fees", AUG_24)])
    write_notify(tmp_path, subscriptions(smtp, hook))

    class Killed(BaseException):  # as a SIGKILL would: nothing after the send runs
        pass

    def send_then_die(url, **message):
        assert apprise_send.send(url, **message) is None
        raise Killed

    with Store(tmp_path) as store, pytest.raises(Killed):
        config = pipeline.notify_config(tmp_path, store)
        pipeline.notifications.run(store, config, home=tmp_path, sender=send_then_die)
    assert len(smtp.mails) == 1  # it did arrive; the store only knows it was being sent
    with Store(tmp_path) as store:
        assert [d.state for d in store.deliveries()] == [DeliveryState.SENDING]

    [second] = add_changes(tmp_path, [Made("amazon-us/fees", AUG_31, summary="Fee raised to 16%")])
    report = pipeline.notify(tmp_path)
    assert [d.change_keys for d in report.unconfirmed] == [(first,)]
    assert len(smtp.to("seller@example.com")) == 2 and smtp.mails[1].subject == "Fees: Fee raised to 16%"
    assert [p["title"] for p in hook.at("amazon")] == [
        "Fees: Late shipment rate target lowered from 4% to 3%",  # the webhook never got the first: sent now
        "Fees: Fee raised to 16%",
    ]
    assert pipeline.notify(tmp_path).sent == []


def test_a_failing_destination_is_retried_on_the_next_run_and_shown_in_status(tmp_path, receivers, capsys):
    smtp, hook = receivers
    [fees] = add_changes(tmp_path, [Made("amazon-us/fees", AUG_24)])
    write_notify(tmp_path, subscriptions(smtp, hook))
    hook.failing = True
    assert main(["notify", "--home", str(tmp_path)]) == 1  # a failed destination: exit 1 for a scheduler
    out, err = capsys.readouterr()
    assert "notify: 1 sent, 2 failed" in out
    assert f"FAILED  amazon-important → json://127.0.0.1:{hook.port}/amazon:" in err
    assert len(smtp.mails) == 1

    main(["status", "--home", str(tmp_path)])
    status = capsys.readouterr().out
    assert f"notify amazon-important → json://127.0.0.1:{hook.port}/amazon  FAILING since " in status
    assert "(retried by the next crawl or `policywatch notify`)" in status
    main(["status", "--json", "--home", str(tmp_path)])
    rows = {row["doc_id"]: row for row in json.loads(capsys.readouterr().out)}
    [problem, _] = rows["amazon-us/fees"]["notify_problems"]
    assert problem["state"] == "failing" and problem["changes"] == [fees] and problem["error"]
    assert problem["destination"] == f"json://127.0.0.1:{hook.port}/amazon"
    with Store(tmp_path) as store:
        data = store.publish_input()
    home_page = render_sources(data, "https://policies.example.org/")["docs/index.md"].decode()
    assert "Notifications: 2 destinations failing since " in home_page
    assert str(hook.port) not in home_page  # the site names no destination

    hook.failing = False
    assert main(["notify", "--home", str(tmp_path)]) == 0
    assert [p["title"] for p in hook.at("amazon")] == ["Fees: Late shipment rate target lowered from 4% to 3%"]
    assert len(smtp.mails) == 1  # the destination that worked is not sent it again
    capsys.readouterr()
    main(["status", "--home", str(tmp_path)])
    assert "FAILING" not in capsys.readouterr().out


def test_a_weekly_digest_bundles_a_week_of_changes_and_never_repeats_one(tmp_path, receivers):
    smtp, hook = receivers
    week = add_changes(
        tmp_path,
        [
            Made("amazon-us/fees", "2026-08-24T06:00:00Z"),
            Made("amazon-us/returns", "2026-08-26T06:00:00Z", label="minor", kind="wording", summary="Wording"),
            Made("ebay/fees", "2026-08-30T06:00:00Z", summary="Defect rate under 2%"),
        ],
    )
    write_notify(
        tmp_path,
        f"""\
subscriptions:
  - name: weekly
    to: ["{smtp.url("weekly@example.com")}", "{hook.url("weekly")}"]
    mode: weekly
    since: 2026-08-01
""",
    )
    during = pipeline.notify(tmp_path, now="2026-08-30T12:00:00Z")
    assert during.sent == [] and during.waiting == 6  # 3 changes for each of 2 destinations
    [next_week] = add_changes(tmp_path, [Made("ebay/fees", "2026-09-01T06:00:00Z", summary="Next week")])
    after = pipeline.notify(tmp_path, now="2026-09-01T07:00:00Z")
    assert [(m.batch.period, m.change_keys) for m in after.sent] == [("2026-W35", tuple(week))] * 2
    [mail] = smtp.mails
    assert mail.subject == "policywatch: 3 changes in the week of 24–30 August 2026, 2 of high importance"
    assert mail.html.count("See the change, word by word") == 3
    [post] = hook.posts
    assert post[1]["message"].count("[See the change]") == 3
    assert pipeline.notify(tmp_path, now="2026-09-01T08:00:00Z").sent == []  # sent once only

    [late] = add_changes(tmp_path, [Made("ebay/returns", "2026-08-29T06:00:00Z", summary="Recorded late")])
    final = pipeline.notify(tmp_path, now="2026-09-08T00:00:00Z")
    assert sorted((m.batch.period, m.change_keys) for m in final.sent) == [
        ("2026-W35", (late,)),  # only what the first digest of that week did not carry
        ("2026-W35", (late,)),
        ("2026-W36", (next_week,)),
        ("2026-W36", (next_week,)),
    ]


def test_a_dry_run_prints_what_would_be_sent_and_sends_and_records_nothing(tmp_path, receivers, capsys):
    smtp, hook = receivers
    add_changes(tmp_path, [Made("amazon-us/fees", AUG_24)])
    write_notify(tmp_path, subscriptions(smtp, hook))
    assert main(["notify", "--dry-run", "--home", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert f"=== amazon-important → mailto://127.0.0.1:{smtp.port}/seller%40example.com (html, 1 change)" in out
    assert "Title: Fees: Late shipment rate target lowered from 4% to 3%" in out
    assert "would send 3 messages" in out
    assert smtp.mails == [] and hook.posts == []
    with Store(tmp_path) as store:
        assert store.deliveries() == [] and store.subscription_starts() == {}


def test_notify_test_sends_a_sample_that_counts_as_nothing(tmp_path, receivers, capsys):
    smtp, hook = receivers
    add_changes(tmp_path, [Made("amazon-us/fees", AUG_24)])
    write_notify(tmp_path, subscriptions(smtp, hook))
    assert main(["notify", "test", "amazon-important", "--home", str(tmp_path)]) == 0
    assert "sent a sample to 2 destinations of amazon-important" in capsys.readouterr().out
    assert smtp.mails[0].subject == "[test] Fees: Late shipment rate target lowered from 4% to 3%"
    assert "test message" in smtp.mails[0].html
    assert len(pipeline.notify(tmp_path).sent) == 3  # the real change still goes out
    assert main(["notify", "test", "nobody", "--home", str(tmp_path)]) == 1
    assert "no subscription 'nobody'" in capsys.readouterr().err


def test_a_template_in_the_home_replaces_the_default_and_a_broken_one_is_named(tmp_path, receivers, capsys):
    smtp, hook = receivers
    add_changes(tmp_path, [Made("amazon-us/fees", AUG_24)])
    write_notify(tmp_path, subscriptions(smtp, hook))
    (tmp_path / "notify-templates").mkdir()
    (tmp_path / "notify-templates" / "change-title.txt").write_text("Rule change: {{ change.title }}")
    (tmp_path / "notify-templates" / "change.md").write_text("{{ change.summary }} <{{ change.permalink }}>")
    assert main(["notify", "--dry-run", "--home", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "Title: Rule change: Fees" in out
    assert "Late shipment rate target lowered from 4% to 3% <https://policies.example.org/documents/" in out
    (tmp_path / "notify-templates" / "change.md").write_text("line one\n{{ change.nosuchkey }}\n")
    assert main(["notify", "--home", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "notify-templates/change.md" in err and "nosuchkey" in err
    assert hook.posts == []  # nothing half-rendered is sent


def test_a_new_password_is_the_same_destination_and_a_new_destination_starts_afresh(tmp_path, receivers):
    smtp, hook = receivers
    add_changes(tmp_path, [Made("amazon-us/fees", AUG_24)], checked_at=AUG_24)
    amazon = hook.url("amazon")
    first = subscriptions(smtp, hook).replace(amazon, amazon.replace("json://", "json://pw:old@"))
    first = first.replace("    since: 2026-08-01\n", "")  # since: would give a new destination its history
    write_notify(tmp_path, first)
    assert pipeline.notify(tmp_path).sent == []
    add_changes(tmp_path, [Made("amazon-us/fees", AUG_25)])
    assert len(pipeline.notify(tmp_path).sent) == 3
    added = f'"{hook.url("high")}", "{hook.url("added")}"'
    write_notify(tmp_path, first.replace("pw:old@", "pw:new@").replace(f'"{hook.url("high")}"', added))
    again = pipeline.notify(tmp_path)
    assert again.sent == [] and again.failed == []  # nothing resent to the hook; no history to the new one
    assert len(hook.at("amazon")) == 1 and hook.at("added") == []
    add_changes(tmp_path, [Made("amazon-us/fees", AUG_31, summary="Fee raised to 16%")])
    assert len(pipeline.notify(tmp_path).sent) == 4
    assert [p["title"] for p in hook.at("added")] == ["Fees: Fee raised to 16%"]
    with Store(tmp_path) as store:
        stored = repr(store.deliveries()) + repr(store.subscription_starts())
    assert ":old@" not in stored and ":new@" not in stored and "pw:****@" in stored  # passwords masked
