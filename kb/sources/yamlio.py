"""YAML in and out, one policy: the only module that imports PyYAML.

Everything a user writes (``sources/*.yaml``, a home's ``crawl.yaml``, the demo corpus) is read
by ``load_strict``: YAML's safe loader, except that a key given twice is an error (PyYAML keeps
the last one silently, so a second ``url:`` would replace the first without a word). What
policywatch writes (converted declarations, ``mkdocs.yml``) is written by ``dump``.

A text is bounded before any of it becomes data, since a file of a few bytes can describe a
huge value: nesting deeper than ``MAX_DEPTH`` (PyYAML composes recursively), a value that
contains itself, and more than ``MAX_NODES`` values once every alias is counted at the size of
what it stands for (a 1 KB "billion laughs" is 9⁹ of them) are refused. Keys are plain scalars.
Merge keys (``<<: *base``) work as YAML 1.1 says: the mapping's own keys win.
"""

from __future__ import annotations

import re

import yaml


class YamlProblem(ValueError):
    """Why a YAML text cannot be read: ``where`` (``line 3``, or ``file``) and ``problem``."""

    def __init__(self, where: str, problem: str, fix: str):
        super().__init__(f"{where}: {problem}; {fix}")
        self.where, self.problem, self.fix = where, problem, fix


def read_user_file(path) -> str:
    """The text of a file a user wrote (a declaration, ``crawl.yaml``, ``notify.yaml``, an Open
    Terms Archive declaration), read only if it is a regular file of a declaration's size, and
    decoded as UTF-8; ``YamlProblem`` says why not (``where``: ``file`` or ``line N``)."""
    from pathlib import Path

    path = Path(path)
    if not path.is_file():
        raise YamlProblem("file", "not a regular file", "give a file of declarations")
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise YamlProblem(
            "file",
            f"{size / (1 << 20):.1f} MB, over the {MAX_FILE_BYTES >> 20} MB a file of declarations may be",
            "split it into one file per marketplace",
        )
    with path.open("rb") as file:
        raw = file.read(MAX_FILE_BYTES + 1)[:MAX_FILE_BYTES]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise YamlProblem(
            f"line {line}", f"not UTF-8 text (byte 0x{raw[exc.start]:02x})", "save the file as UTF-8"
        ) from None


class _DuplicateKey(yaml.YAMLError):
    def __init__(self, key, line: int):
        super().__init__(f"key '{key}' given twice")
        self.key, self.line = key, line


MAX_FILE_BYTES = 16 << 20  # a declaration file; 40,000 documents take about 5 MB
MAX_DEPTH = 64  # levels of nesting, aliases followed; a declaration needs about 6
MAX_NODES = 2_000_000  # values once aliases are expanded; 40,000 documents take about 500,000

_MERGE = "tag:yaml.org,2002:merge"


class _Refused(yaml.YAMLError):
    def __init__(self, problem: str, fix: str, line: int | None = None):
        super().__init__(problem)
        self.problem, self.fix, self.line = problem, fix, line


def _too_deep(node) -> _Refused:
    return _Refused(
        f"values nested deeper than {MAX_DEPTH} levels", "a declaration needs a few levels", node.start_mark.line + 1
    )


def _check_expanded(root) -> None:
    """Refuse a node graph whose expansion is too deep, too large or endless, without expanding it:
    each node's expanded size and depth are computed once (aliases share nodes)."""
    size: dict[int, int] = {}
    depth: dict[int, int] = {}
    stack = [(root, False)]
    open_nodes: set[int] = set()
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if key in size:
            continue
        children = _children(node)
        if children_done:
            open_nodes.discard(key)
            size[key] = 1 + sum(size[id(c)] for c in children)
            depth[key] = 1 + max((depth[id(c)] for c in children), default=0)
            if size[key] > MAX_NODES:
                raise _Refused(
                    f"more than {MAX_NODES:,} values once its aliases are expanded",
                    "write the values out, or use fewer aliases",
                    node.start_mark.line + 1,
                )
            if depth[key] > MAX_DEPTH:
                raise _too_deep(node)
            continue
        if key in open_nodes:
            raise _Refused(
                "a value that contains itself", "remove the alias to its own anchor", node.start_mark.line + 1
            )
        open_nodes.add(key)
        stack.append((node, True))
        for child in children:
            if id(child) in open_nodes:
                raise _Refused(
                    "a value that contains itself", "remove the alias to its own anchor", child.start_mark.line + 1
                )
            if id(child) not in size:
                stack.append((child, False))


def _children(node) -> list:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    return []


class _StrictLoader(yaml.SafeLoader):
    _depth = 0

    def compose_node(self, parent, index):
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise _too_deep(self.peek_event())
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def get_single_node(self):
        node = super().get_single_node()
        if node is not None:
            _check_expanded(node)
        return node

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            if key_node.tag == _MERGE:  # flattened by SafeLoader; its keys may be overridden
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                raise _Refused(
                    "a key that is a list or a mapping",
                    "write keys as plain words",
                    key_node.start_mark.line + 1,
                )
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
    except _Refused as exc:
        raise YamlProblem(f"line {exc.line}" if exc.line else "file", exc.problem, exc.fix) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else "file"
        raise YamlProblem(where, "invalid YAML", "check indentation and quoting") from None


def key_line(text: str, key: str) -> int | None:
    """The line (1-based) where ``key`` is written, a path such as ``documents[2].expect.min_chars``;
    None when the text does not hold it (an error message then names the key alone)."""
    try:
        node = yaml.compose(text, Loader=_StrictLoader)
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
