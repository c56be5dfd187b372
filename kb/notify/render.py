"""Messages from templates: the one module that imports Jinja2.

Each message has a title (``change-title.txt``, ``digest-title.txt``: an email's subject) and a
body in the format its destination reads: ``change.html`` / ``digest.html`` for email,
``.md`` where the service renders Markdown, ``.txt`` elsewhere. The defaults are in
``kb/notify/templates/``; a file of the same name in ``<home>/notify-templates/`` replaces one
(HTML templates escape every value; text and Markdown ones do not). What a template sees:

- ``change``: one change as ``policywatch changes --json`` prints it (``diffs.brief.change_json``:
  ``title``, ``summary``, ``class``, ``severity``, ``reasons``, ``what_to_do``,
  ``effective_date``, ``notice_days``, ``section_changes``, ``tag_labels``, ``url``, …) plus
  ``permalink`` (the change on the published site) and ``marketplace``; in a digest, ``changes``
  is the list of them;
- ``subscription`` (``name``, ``mode``), ``digest`` (``period``, ``words``: "the week of
  24–30 August 2026"; None for one change), ``site_url``, ``test`` (a sample from
  ``policywatch notify test``);
- filters ``day`` (``2026-10-01`` → ``1 October 2026``) and ``moment`` (an ISO time →
  ``24 August 2026, 06:00 UTC``).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import jinja2

from kb.errors import DeclarationError
from kb.timeutil import to_datetime

TEMPLATES_DIR = "notify-templates"  # in a home: a user's replacements
DEFAULTS = Path(__file__).parent / "templates"
SUFFIX = {"html": ".html", "markdown": ".md", "text": ".txt"}


def day(value: str | None) -> str:
    if not value:
        return ""
    try:
        moment = date.fromisoformat(value[:10])
    except ValueError:
        return value
    return f"{moment.day} {moment:%B %Y}"


def moment(value: str | None) -> str:
    if not value:
        return ""
    at = to_datetime(value)
    return f"{at.day} {at:%B %Y}, {at:%H:%M} UTC"


class Renderer:
    """Templates of one home (its replacements first, then the defaults)."""

    def __init__(self, home: Path | None):
        folders = [str(Path(home) / TEMPLATES_DIR)] if home else []
        self.overrides = Path(home) / TEMPLATES_DIR if home else None
        self._env = jinja2.Environment(
            loader=jinja2.FileSystemLoader([*folders, str(DEFAULTS)]),
            autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default_for_string=False),
            undefined=jinja2.StrictUndefined,  # a misspelt key is an error, not an empty line
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=False,
        )
        self._env.filters.update(day=day, moment=moment)

    def render(self, name: str, **data) -> str:
        """Render one template; a broken one is a one-line error naming its file and line."""
        try:
            return self._env.get_template(name).render(**data).strip() + "\n"
        except jinja2.TemplateSyntaxError as exc:
            raise self._problem(exc.filename or name, exc.lineno, exc.message) from None
        except jinja2.TemplateError as exc:
            raise self._problem(self._source(name), None, str(exc)) from None

    def message(self, what: str, fmt: str, **data) -> tuple[str, str]:
        """(title, body) of a ``change`` or ``digest`` message in ``fmt`` (html, markdown, text)."""
        title = " ".join(self.render(f"{what}-title.txt", **data).split())
        return title, self.render(what + SUFFIX[fmt], fmt=fmt, **data)

    def _source(self, name: str) -> str:
        if self.overrides is not None and (self.overrides / name).is_file():
            return str(self.overrides / name)
        return str(DEFAULTS / name)

    def _problem(self, filename: str, line: int | None, message: str) -> DeclarationError:
        where = f"{filename}" + (f": line {line}" if line else "")
        return DeclarationError(
            f"{where}: {message}",
            hint=f"fix the template, or delete it from {TEMPLATES_DIR}/ to use the default (docs/notify.md)",
        )
