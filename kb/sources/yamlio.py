"""YAML in and out, one policy: the only module that imports PyYAML.

Everything a user writes (``sources/*.yaml``, a home's ``crawl.yaml``, the demo corpus) is read
by ``load_strict``: YAML's safe loader, except that a key given twice is an error (PyYAML keeps
the last one silently, so a second ``url:`` would replace the first without a word). What
policywatch writes (converted declarations, ``mkdocs.yml``) is written by ``dump``.
"""

from __future__ import annotations

import re

import yaml


class YamlProblem(ValueError):
    """Why a YAML text cannot be read: ``where`` (``line 3``, or ``file``) and ``problem``."""

    def __init__(self, where: str, problem: str, fix: str):
        super().__init__(f"{where}: {problem}; {fix}")
        self.where, self.problem, self.fix = where, problem, fix


class _DuplicateKey(yaml.YAMLError):
    def __init__(self, key, line: int):
        super().__init__(f"key '{key}' given twice")
        self.key, self.line = key, line


class _StrictLoader(yaml.SafeLoader):
    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise _DuplicateKey(key, key_node.start_mark.line + 1)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def load_strict(text: str):
    """The data of a YAML text; ``YamlProblem`` names the line and the fix."""
    try:
        return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 (a SafeLoader)
    except _DuplicateKey as exc:
        raise YamlProblem(
            f"line {exc.line}", f"key '{exc.key}' given twice (the first would be lost)", "keep one"
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else "file"
        raise YamlProblem(where, "invalid YAML", "check indentation and quoting") from None


def key_line(text: str, key: str) -> int | None:
    """The line (1-based) where ``key`` is written, a path such as ``documents[2].expect.min_chars``;
    None when the text does not hold it (an error message then names the key alone)."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return None
    line = None
    for name, index in re.findall(r"([^.\[\]]+)|\[(\d+)\]", key):
        if isinstance(node, yaml.MappingNode) and name:
            found = next(((k, v) for k, v in node.value if k.value == name), None)
            if found is None:
                return None
            line, node = found[0].start_mark.line + 1, found[1]
        elif isinstance(node, yaml.SequenceNode) and index and int(index) < len(node.value):
            node = node.value[int(index)]
            line = node.start_mark.line + 1
        else:
            return None
    return line


def dump(data) -> str:
    """YAML for people to read: keys in the order given, Unicode as it is, no folded lines."""
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=1000)
