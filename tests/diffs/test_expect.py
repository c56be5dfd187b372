"""diffs.expect: is an extracted text the document it claims to be?"""

from __future__ import annotations

import pytest

from diffs import expect
from diffs.expect import Expectations, explain_missing, judge, language_code, language_of_url, plain_text
from kb.models import FaultKind
from tests.support.faultserver import policy_text
from tests.support.impostors import APPLIES_UK, JS_SHELL, SIGN_IN_PAGE, french_text, german_text

UK = "https://sellercentral.amazon.co.uk/help/hub/reference/external/G1801?locale=en-GB"
ENGLISH = "\n\n".join(policy_text("fees"))
FRENCH = "\n\n".join(french_text("fees"))
GERMAN = "\n\n".join(
    f"Abschnitt {i} der Richtlinie: Verkäufer müssen Regel {i} jederzeit einhalten und die Nachweise "
    f"zu Regel {i} zwölf Monate lang aufbewahren."
    for i in range(1, 20)
)


def test_the_declared_languages_are_the_detectors():
    assert expect.LANGUAGES | {"zxx"} == set(expect._identifier().nb_classes)  # zxx: no language at all


@pytest.mark.parametrize(
    "url, language",
    [
        (UK, ("en", "locale=en-GB")),
        ("https://sellercentral.amazon.de/help/x?mons_sel_locale=de_DE&locale=en-GB", ("de", "mons_sel_locale=de_DE")),
        ("https://www.amazon.de/gp/help/customer/display.html?nodeId=1&language=en_GB", ("en", "language=en_GB")),
        ("https://support.example/answer/1?hl=fr", ("fr", "hl=fr")),
        ("https://shop.example/legal?LANG=it", ("it", "lang=it")),
        ("https://shop.example/de/agb", ("de", "/de/")),
        ("https://shop.example/en-gb/terms", ("en", "/en-gb/")),
        ("https://shop.example/fr_FR/conditions", ("fr", "/fr_FR/")),
        ("https://shop.example/uk/terms", None),  # the United Kingdom more often than Ukrainian
        ("https://sellercentral.amazon.com/gp/help/external/G521", None),
        ("https://www.ebay.com/help/policies/user-agreement?id=4259", None),
        ("https://shop.example/terms?locale=xx-YY", None),
        ("", None),
    ],
)
def test_the_default_language_is_the_one_the_url_asks_for(url, language):
    assert language_of_url(url) == language
    assert Expectations().language(url) == language


def test_a_declared_language_wins_and_any_turns_the_check_off():
    assert Expectations(lang="de").language(UK) == ("de", "lang: de")
    assert Expectations(lang=expect.ANY_LANGUAGE).language(UK) is None


@pytest.mark.parametrize(
    "value, code",
    [("en", "en"), ("en-GB", "en"), ("de_DE", "de"), ("FR", "fr"), ("nb", "no"), ("xx", None), ("english", None)],
)
def test_language_codes(value, code):
    assert language_code(value) == code


def test_a_text_in_the_right_language_passes():
    assert judge(ENGLISH, Expectations(), url=UK) is None
    assert judge(GERMAN, Expectations(lang="de"), url=UK) is None
    assert judge(FRENCH, Expectations(lang=expect.ANY_LANGUAGE), url=UK) is None
    assert judge(FRENCH, Expectations(), url="https://shop.example/terms") is None  # no language known


def test_seller_central_in_another_language_names_its_own_switch():
    fault = judge(FRENCH, Expectations(), url=UK)
    assert fault.kind == FaultKind.WRONG_LANGUAGE and fault.outcome == "failed"
    assert fault.reason == "served in French, expected English: pin the language with `mons_sel_locale=en_GB`"
    de = judge(ENGLISH, Expectations(), url="https://sellercentral.amazon.de/help/hub/reference/external/G1801")
    assert de is None  # no language asked for, none declared
    de = judge(ENGLISH, Expectations(lang="de"), url="https://sellercentral.amazon.de/help/hub/reference/external/G1")
    assert de.reason == "served in English, expected German: pin the language with `mons_sel_locale=de_DE`"
    pinned = judge(FRENCH, Expectations(), url=UK + "&mons_sel_locale=en_GB")
    assert pinned.reason.startswith("served in French, expected English: the URL already pins `mons_sel_locale=en_GB`")


def test_other_sites_in_another_language_say_what_was_ignored():
    fault = judge(FRENCH, Expectations(), url="https://shop.example/terms?locale=en-US")
    assert fault.reason.startswith("served in French, expected English: the site ignored `locale=en-US`; ")
    assert fault.reason.endswith("or declare `lang: fr` if that is the language to track")
    declared = judge(GERMAN, Expectations(lang="en"), url="https://shop.example/terms")
    assert declared.reason.startswith("served in German, expected English: pin the language in the URL")


def test_without_a_declared_language_the_current_versions_language_is_expected():
    shop = "https://shop.example/terms"  # no locale in the URL, no lang declared
    translated = "\n\n".join(german_text("fees"))
    fault = judge(translated, Expectations(), url=shop, previous=ENGLISH)
    assert fault.kind == FaultKind.WRONG_LANGUAGE and fault.outcome == "failed"
    assert fault.reason == (
        "served in German, the previous versions are in English: pin the language with a locale "
        "parameter, or declare `lang: de` if the page really changed language"
    )
    assert judge(translated, Expectations(), url=shop) is None  # a first version: nothing to hold it to
    assert judge(ENGLISH, Expectations(), url=shop, previous=ENGLISH.replace("5 €", "6 €")) is None
    assert judge(translated, Expectations(lang="de"), url=shop, previous=ENGLISH) is None  # declared: it changed
    assert judge(translated, Expectations(lang=expect.ANY_LANGUAGE), url=shop, previous=ENGLISH) is None
    assert judge(translated, Expectations(), url=shop, previous=french_text("x")[0]) is None  # too short to tell
    seller_central = judge(FRENCH, Expectations(), url="https://sellercentral.amazon.de/help/x", previous=GERMAN)
    assert "pin the language with `mons_sel_locale=de_DE`" in seller_central.reason


def test_a_short_text_is_not_judged_by_its_language():
    assert judge(french_text("x")[0], Expectations(lang="en"), url=UK) is None


def test_the_wrong_marketplace_is_named():
    text = "This article applies to selling in: **France**\n\n# Mediation Policy\n\n" + ENGLISH
    fault = judge(text, Expectations(texts=(APPLIES_UK,)), url=UK)
    assert fault.kind == FaultKind.WRONG_MARKETPLACE
    assert fault.reason.startswith(
        'served for France, expected United Kingdom ("This article applies to selling in: …"): '
        "Seller Central picked the marketplace from the visitor; pin it with `mons_sel_locale=en_GB`"
    )
    right = text.replace("**France**", "**United Kingdom**")
    assert judge(right, Expectations(texts=(APPLIES_UK,)), url=UK) is None  # Markdown marks do not count


def test_a_missing_text_is_named():
    fault = judge(ENGLISH, Expectations(texts=("Effective 1 March 2026",)))
    assert fault.kind == FaultKind.MISSING_TEXT
    assert fault.reason.startswith('the page does not show "Effective 1 March 2026" (expect.text): ')
    assert judge(ENGLISH, Expectations(texts=("SECTION 3 of the FEES policy",))) is None  # case and spaces


def test_a_text_under_min_chars_is_too_short():
    fault = judge("A short page.\n\nWith two lines.", Expectations(min_chars=2000))
    assert fault.kind == FaultKind.TOO_SHORT
    assert fault.reason.startswith("extracted 29 characters, expected at least 2,000 (expect.min_chars): ")
    assert judge(ENGLISH, Expectations(min_chars=2000)) is None


def test_link_targets_and_marks_are_not_text():
    text = "## Fees\n\nSee **the [fee table](https://example.com/a/very/long/path?x=1)**; 3\\. rule\n\n\\\n"
    assert plain_text(text) == "Fees\nSee the fee table ; 3. rule"


def test_a_sign_in_page_served_at_200():
    fault = judge("Sign in\n\nEmail\n\nPassword\n\nNew here? Create your account", Expectations(), page=SIGN_IN_PAGE)
    assert fault.kind == FaultKind.SIGN_IN
    assert fault.reason.startswith('a sign-in page was served instead of the document (a password field, "Sign in")')
    # A policy page with a sign-in box in its header is still the policy.
    assert judge(ENGLISH, Expectations(), page=SIGN_IN_PAGE) is None
    # Words alone are not a sign-in page.
    assert judge("How to sign in to Seller Central.", Expectations(), page="<p>How to sign in</p>") is None


def test_a_javascript_shell():
    fault = judge("Home Help", Expectations(), page=JS_SHELL)
    assert fault.kind == FaultKind.JS_SHELL
    assert fault.reason == (
        "a JavaScript shell without the document's text (it says \"You need to enable JavaScript to run this "
        'app."): declare `render: browser`'
    )
    rendered = judge("Home Help", Expectations(browser=True), page=JS_SHELL)
    assert "the capture was taken before the script built the text" in rendered.reason
    empty_root = judge("Home", Expectations(), page='<body><div id="app"></div></body>')
    assert empty_root.reason.startswith(
        'a JavaScript shell without the document\'s text (an empty application root <div id="app">)'
    )
    # A rendered page keeps its <noscript> message: with its text, it is the document.
    assert judge(ENGLISH, Expectations(), page=JS_SHELL) is None
    # Longer than the shell size, still a shell when it is under the declared min_chars.
    menu = "\n\n".join(f"Topic {i}: help for sellers" for i in range(40))
    assert judge(menu, Expectations(), page=JS_SHELL) is None
    assert judge(menu, Expectations(min_chars=5000), page=JS_SHELL).kind == FaultKind.JS_SHELL


def test_when_nothing_was_extracted_the_page_says_why():
    assert explain_missing("Sign in Email Password", SIGN_IN_PAGE, Expectations()).kind == FaultKind.SIGN_IN
    assert explain_missing("Home Help", JS_SHELL, Expectations()).kind == FaultKind.JS_SHELL
    assert explain_missing("Home Help", "<main><p>Redesigned</p></main>", Expectations()) is None
    assert explain_missing(ENGLISH * 3, JS_SHELL, Expectations()) is None  # a long page: the selector is wrong


def test_detection_reads_a_bounded_sample():
    huge = ENGLISH * 400
    assert len(expect._sample(huge)) <= expect.SAMPLE_CHARS + expect.SAMPLE_WINDOWS
    assert expect.detect_language(huge)[0] == "en"
    assert expect.detect_language("too short") is None
    assert expect.detect_language("1234 5678 " * 100) is None or expect.detect_language("1234 5678 " * 100)[1] < 1


def test_the_other_marketplace_is_read_whatever_the_case_and_marks():
    text = "DIESER ARTIKEL BEZIEHT  SICH auf den Verkauf in: **Österreich**\n\n" + GERMAN
    fault = judge(text, Expectations(texts=("Dieser Artikel bezieht sich auf den Verkauf in: Deutschland",)))
    assert fault.kind == FaultKind.WRONG_MARKETPLACE
    assert fault.reason.startswith('served for Österreich, expected Deutschland ("Dieser Artikel bezieht sich')
