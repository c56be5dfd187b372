"""Synthetic help centres for benchmarks: N pages in successive states, served on loopback.

The corpus is written in the demo's format (``states.yaml`` + body files) and served
by the demo's own server, so benchmark pages carry the same chrome and per-request
noise as the demo (navigation, cookie banner, tokens, rotating related articles,
render timestamps): roughly 30 KB of HTML per page.

State 1 holds every page; each later state changes a chosen fraction of the pages
(a threshold and a deadline edited, a sentence added), chosen by a seeded random
generator so that two runs change the same pages.

    python bench/corpus.py --pages 2000 --changed 0.02 --out bench/out/corpus
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import shutil
from pathlib import Path

import yaml

FIRST_DAY = dt.date(2026, 1, 5)  # the first state's; each next state is a day later
SECTIONS = [
    ("policies", "Policies and agreements"),
    ("performance", "Account health and performance"),
    ("orders", "Orders, shipping and returns"),
    ("fees", "Fees and payments"),
    ("listings", "Listings and catalogue"),
]
SUBJECTS = [
    "Sellers",
    "You",
    "Your account",
    "Each listing",
    "Every order",
    "The seller",
    "Your business",
    "A storefront",
    "Your team",
    "Any agent acting for you",
]
VERBS = ["must", "should", "may", "will", "must not", "are required to", "can"]
ACTIONS = [
    "confirm shipment",
    "answer buyer messages",
    "keep stock levels accurate",
    "provide valid tracking",
    "accept returns",
    "refund the buyer",
    "display the total price",
    "keep invoices",
    "respond to claims",
    "update product information",
    "pay the referral fee",
    "report safety issues",
]
DEADLINES = [
    "within {n} hours",
    "within {n} days",
    "before the expected ship date",
    "no later than {n} business days after the order",
    "at least once every {n} days",
]
FILLERS = [
    "so that buyers can trust the marketplace",
    "unless the order was cancelled",
    "as described in the seller agreement",
    "for every order you accept",
    "in each region where you sell",
    "to keep the account in good standing",
    "even when a carrier is late",
    "for items fulfilled by you",
]


def _sentence(rng: random.Random) -> str:
    deadline = rng.choice(DEADLINES).format(n=rng.choice([1, 2, 3, 7, 14, 24, 30, 48, 60, 90]))
    return f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(ACTIONS)} {deadline} {rng.choice(FILLERS)}."


def _body(rng: random.Random, page_no: int, target_bytes: int) -> str:
    parts = [
        f"<p>This page explains rule set {page_no} for sellers. "
        f"Keep the order defect rate under 1% and the late shipment rate under 4%.</p>"
    ]
    section = 0
    while sum(len(p) for p in parts) < target_bytes:
        section += 1
        parts.append(f"<h2>Part {section}: {rng.choice(ACTIONS).capitalize()}</h2>")
        for _ in range(rng.randint(2, 4)):
            parts.append("<p>" + " ".join(_sentence(rng) for _ in range(rng.randint(3, 6))) + "</p>")
        if rng.random() < 0.5:
            items = "".join(f"<li>{_sentence(rng)}</li>" for _ in range(rng.randint(3, 5)))
            parts.append(f"<ul>{items}</ul>")
    return "\n".join(parts)


def _edit(body: str, rng: random.Random, state_no: int) -> str:
    """A real policy change: a threshold, a deadline, and an added obligation."""
    body = body.replace("late shipment rate under 4%", f"late shipment rate under {4 - state_no * 0.1:.1f}%", 1)
    body = body.replace("within 24 hours", "within 12 hours", 1)
    added = f"<p>From state {state_no}, sellers must keep proof of delivery for {30 + state_no} days.</p>"
    return body.replace("</p>", "</p>\n" + added, 1)


def write_corpus(
    out: Path, pages: int, changed: float, states: int = 3, seed: int = 7, body_bytes: int = 24_000
) -> dict:
    """Write the corpus; returns {state name: [paths changed in that state]}."""
    if out.exists():
        shutil.rmtree(out)
    (out / "bodies").mkdir(parents=True)
    rng = random.Random(seed)
    paths, bodies = [], {}
    manifest_pages = {}
    for i in range(pages):
        section = SECTIONS[i % len(SECTIONS)][0]
        path = f"/help/{section}/rule-{i:05d}"
        body = _body(rng, i, body_bytes)
        name = f"bodies/s1-{i:05d}.html"
        (out / name).write_text(body, encoding="utf-8")
        paths.append(path)
        bodies[path] = body
        manifest_pages[path] = {
            "title": f"Seller rule {i}",
            "summary": f"Rule set {i}.",
            "last_updated": "2026-01-05",
            "body": name,
        }
    manifest = {
        "site": {"name": "Benchmark Market", "tagline": "Synthetic help centre"},
        "sections": [{"slug": s, "title": t, "summary": t} for s, t in SECTIONS],
        "states": [
            {"name": "s1", "date": f"{FIRST_DAY}T06:00:00Z", "description": "every page", "pages": manifest_pages}
        ],
    }
    changed_by_state = {"s1": []}
    count = max(1, round(pages * changed)) if changed > 0 else 0
    for state_no in range(2, states + 1):
        chosen = sorted(rng.sample(paths, count))
        changes = {}
        for path in chosen:
            bodies[path] = _edit(bodies[path], rng, state_no)
            name = f"bodies/s{state_no}-{path.rsplit('-', 1)[1]}.html"
            (out / name).write_text(bodies[path], encoding="utf-8")
            changes[path] = {"body": name}
        manifest["states"].append(
            {
                "name": f"s{state_no}",
                "date": f"{FIRST_DAY + dt.timedelta(days=state_no - 1)}T06:00:00Z",  # a day each
                "description": f"{count} pages changed",
                "changes": changes,
            }
        )
        changed_by_state[f"s{state_no}"] = chosen
    (out / "states.yaml").write_text(yaml.safe_dump(manifest, sort_keys=False), encoding="utf-8")
    return changed_by_state


def write_declaration(folder: Path, base_url: str, paths: list[str]) -> Path:
    """One policywatch declaration listing every page (same selection as the demo)."""
    folder.mkdir(parents=True, exist_ok=True)
    docs = [
        {"id": p.rsplit("/", 1)[1], "title": p.rsplit("/", 1)[1], "url": base_url + p, "type": "help"} for p in paths
    ]
    declaration = {
        "marketplace": "bench",
        "name": "Benchmark Market",
        "allow_private_addresses": True,
        "defaults": {"select": list(SELECT), "remove": list(REMOVE)},
        "documents": docs,
    }
    path = folder / "bench.yaml"
    path.write_text(yaml.safe_dump(declaration, sort_keys=False), encoding="utf-8")
    return path


SELECT = ("main#help-content article.help-article",)
REMOVE = (".related-articles", ".helpful-widget", ".article-tools")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=2000)
    parser.add_argument("--changed", type=float, default=0.02)
    parser.add_argument("--out", type=Path, default=Path("bench/out/corpus"))
    args = parser.parse_args()
    changed = write_corpus(args.out, args.pages, args.changed)
    print(
        f"wrote {args.pages} pages to {args.out}; changed per state: "
        + ", ".join(f"{k}={len(v)}" for k, v in changed.items())
    )


if __name__ == "__main__":
    main()
