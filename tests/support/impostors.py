"""Pages that answer 200 and are not the document they claim to be (``diffs.expect``).

Each is built on the same template as ``faultserver.policy_page`` (``main article.policy``), so
only what it claims differs: the language it is in (French, German), the marketplace it applies to, or that it
is a sign-in form or a JavaScript application's empty shell.
"""

from __future__ import annotations

import html

from tests.support.faultserver import policy_page

APPLIES_UK = "This article applies to selling in: United Kingdom"


def french_text(doc: str) -> list[str]:
    """The fictional policy of ``faultserver.policy_text``, as Seller Central serves it in French."""
    lines = [f"Règles « {doc} » des vendeurs : des frais de 5 € s'appliquent à chaque commande."]
    lines += [
        f"Section {i} de la politique {doc} : les vendeurs doivent respecter la règle {i} en "
        f"toutes circonstances et conserver les justificatifs de la règle {i} pendant douze mois."
        for i in range(1, 30)
    ]
    return lines


def german_text(doc: str) -> list[str]:
    """The fictional policy of ``faultserver.policy_text``, translated to German."""
    lines = [f"Richtlinie „{doc}“ für Verkäufer: für jede Bestellung fällt eine Gebühr von 5 € an."]
    lines += [
        f"Abschnitt {i} der Richtlinie {doc}: Verkäufer müssen Regel {i} jederzeit einhalten und "
        f"die Nachweise zu Regel {i} zwölf Monate lang aufbewahren."
        for i in range(1, 30)
    ]
    return lines


def page_of(doc: str, lines: list[str], *, lang: str = "en", title: str | None = None) -> str:
    """A page of the ``policy_page`` template holding ``lines``."""
    body = "\n".join(f"<p>{html.escape(p, quote=False)}</p>" for p in lines)
    title = html.escape(title or f"{doc} policy")
    return (
        f'<!doctype html>\n<html lang="{lang}"><head><meta charset="utf-8"><title>{title}</title></head>\n'
        f'<body><nav><a href="/">Home</a> <a href="/help">Help</a></nav>\n'
        f'<main><article class="policy"><h1>{title}</h1>\n{body}\n</article></main>\n'
        f"<footer>Fictional marketplace for tests</footer></body></html>\n"
    )


def french_page(doc: str) -> str:
    return page_of(doc, french_text(doc), lang="fr", title=f"Politique {doc}")


def german_page(doc: str) -> str:
    return page_of(doc, german_text(doc), lang="de", title=f"Richtlinie {doc}")


def marketplace_page(doc: str, marketplace: str = "United Kingdom", version: int = 1) -> str:
    """``policy_page`` with Seller Central's line naming the marketplace the article applies to."""
    line = f"<p>This article applies to selling in: <strong>{marketplace}</strong></p>"
    return policy_page(doc, version).replace('<article class="policy">', f'<article class="policy">{line}')


SIGN_IN_PAGE = (
    '<!doctype html><html lang="en"><head><title>Sign in</title></head><body>'
    '<nav><a href="/">Home</a></nav><main><h1>Sign in</h1><form method="post" action="/signin">'
    '<label>Email <input name="email"></label><label>Password <input type="password" name="password"></label>'
    "<button>Sign in</button></form><p>New here? Create your account</p></main>"
    "<footer>Fictional marketplace for tests</footer></body></html>"
)

JS_SHELL = (
    '<!doctype html><html lang="en"><head><title>Seller help</title>'
    '<script src="/static/app.js" defer></script></head><body>'
    '<nav><a href="/">Home</a> <a href="/help">Help</a></nav><main>'
    "<noscript>You need to enable JavaScript to run this app.</noscript>"
    '<div id="root"></div></main><footer>Fictional marketplace for tests</footer></body></html>'
)
