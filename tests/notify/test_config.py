"""notify.yaml is read as strictly as sources/: each mistake is one line naming the file, the key,
its line and the fix."""

from __future__ import annotations

import pytest

from kb.demo.run import write_sources
from kb.errors import DeclarationError
from kb.notify.config import load_notify
from kb.store import Store
from tests.support import run_cli
from tests.support.notify_data import Made, add_changes, write_notify

GOOD = """\
site_url: https://policies.example.org/
subscriptions:
  - name: amazon-us-important
    to: ["mailto://seller:secret@smtp.example.com?to=me@example.com", "json://127.0.0.1:8080/hook"]
    marketplaces: [amazon-us]
    classes: [substantive]
    mode: each          # each | daily | weekly
    since: 2026-08-01   # optional; default: when the subscription was added
  - name: weekly-all
    to: json://127.0.0.1:8080/weekly
    severity: high
    tags: [account-health, fees-payments]
    documents: [amazon-us/selling-policies]
    mode: weekly
"""


def test_the_issue_example_loads(tmp_path):
    write_notify(tmp_path, GOOD)
    config = load_notify(tmp_path, marketplaces=frozenset({"amazon-us"}))
    first, second = config.subscriptions
    assert first.name == "amazon-us-important" and first.mode == "each"
    assert first.to[1] == "json://127.0.0.1:8080/hook" and first.classes == ("substantive",)
    assert first.since == "2026-08-01T00:00:00Z"
    assert second.to == ("json://127.0.0.1:8080/weekly",)  # one value is a list of one
    assert second.severity == ("high",) and second.classes == ("substantive", "minor")  # noise only when asked
    assert second.since is None
    assert config.site_url == "https://policies.example.org/"


def test_no_file_is_no_config(tmp_path):
    assert load_notify(tmp_path) is None


@pytest.mark.parametrize(
    "change, message",
    [
        (
            ("    mode: each ", "    mode: hourly"),
            "notify.yaml: subscriptions[0].mode (line 7): 'hourly' is not a mode; use each, daily, weekly",
        ),
        (
            ("    classes: [substantive]", "    class: [substantive]"),
            "notify.yaml: subscriptions[0].class (line 6): unknown key; allowed keys here: name, to, marketplaces",
        ),
        (
            ("    severity: high", "    severity: urgent"),
            "notify.yaml: subscriptions[1].severity (line 11): 'urgent' is not a severity; use high, medium, low",
        ),
        (
            ("[account-health, fees-payments]", "[account-helth]"),
            "notify.yaml: subscriptions[1].tags (line 12): 'account-helth' is not a workflow tag; use returns-refunds,",
        ),
        (
            ('"json://127.0.0.1:8080/hook"', '"nosuchservice://x/y"'),
            "notify.yaml: subscriptions[0].to[1] (line 4): Apprise cannot read the URL 'nosuchservice://x/y'",
        ),
        (
            ("seller:secret@smtp", "seller:secret@"),
            "notify.yaml: subscriptions[0].to[0] (line 4): Apprise cannot read the URL 'mailto://seller:****@",
        ),
        (
            ("[amazon-us]", "[amazon-usa]"),
            "notify.yaml: subscriptions[0].marketplaces (line 5): 'amazon-usa' is not a marketplace of this home; "
            "use one of amazon-us",
        ),
        (
            ("since: 2026-08-01", "since: last tuesday"),
            "notify.yaml: subscriptions[0].since (line 8): 'last tuesday' is not a date",
        ),
        (
            ("name: weekly-all", "name: amazon-us-important"),
            "notify.yaml: subscriptions[1].name (line 9): 'amazon-us-important' is also subscriptions[0]",
        ),
        (("    mode: weekly\n", "    mode: weekly\n    mode: daily\n"), "notify.yaml: line 15: key 'mode' given twice"),
        (
            ("  - name: weekly-all\n", "  - nam: weekly-all\n"),
            "notify.yaml: subscriptions[1].nam (line 9): unknown key",
        ),
        (("site_url: https://policies.example.org/", "site: x"), "notify.yaml: site (line 1): unknown key"),
    ],
)
def test_each_mistake_is_one_line_naming_file_key_line_and_fix(tmp_path, change, message):
    old, new = change
    assert old in GOOD
    write_notify(tmp_path, GOOD.replace(old, new, 1))
    with pytest.raises(DeclarationError) as caught:
        load_notify(tmp_path, marketplaces=frozenset({"amazon-us"}))
    assert str(caught.value).startswith(message), str(caught.value)
    assert "\n" not in str(caught.value)


def test_secrets_never_reach_an_error_message(tmp_path):
    write_notify(tmp_path, GOOD.replace("seller:secret@smtp.example.com", "seller:secret@", 1))
    with pytest.raises(DeclarationError) as caught:
        load_notify(tmp_path)
    assert "secret" not in str(caught.value)


def test_the_cli_prints_one_line_with_a_hint_and_exits_1(tmp_path):
    add_changes(tmp_path, [Made("amazon-us/fees", "2026-08-10T06:00:00Z")])
    write_notify(tmp_path, GOOD.replace("    mode: each ", "    mode: hourly", 1))
    result = run_cli("notify", "--dry-run", home=tmp_path, check=False)
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("policywatch: notify.yaml: subscriptions[0].mode (line 7): 'hourly' is not a mode")
    assert "(hint: fix notify.yaml" in result.stderr


def test_notify_without_a_notify_yaml_says_how_to_start(tmp_path):
    add_changes(tmp_path, [Made("amazon-us/fees", "2026-08-10T06:00:00Z")])
    result = run_cli("notify", home=tmp_path, check=False)
    assert result.returncode == 1
    assert "no notify.yaml in" in result.stderr and "docs/notify.md" in result.stderr


def test_a_bad_notify_yaml_stops_a_crawl_before_it_fetches(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    sources = write_sources(home, "http://127.0.0.1:9")  # nothing listens: a fetch would fail
    write_notify(home, GOOD.replace("[amazon-us]", "[northwind]").replace("    mode: each ", "    mode: hourly", 1))
    result = run_cli("crawl", "--fast", "--sources", str(sources), home=home, check=False)
    assert result.returncode == 1
    assert result.stderr.startswith("policywatch: notify.yaml: subscriptions[0].mode (line 7): 'hourly' is not a mode")
    with Store(home) as store:
        assert store.checks() == []
