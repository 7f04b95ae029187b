"""Reading YAML safely into plain dicts and lists that remember where each value came from.

`LocatedDict` and `LocatedList` behave as `dict` and `list`; each also keeps the file
position of its own items, so a validation error deep inside a scenario can be reported
as `file:line:col`. Only the plain YAML types are built: any tag that would construct an
object (`!!python/object`, custom `!tags`, `!!binary`, sets) is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from channelsim.errors import Problem
from channelsim.userfiles import InputFileError, read_limited

_PLAIN_TAGS = {
    "tag:yaml.org,2002:" + name for name in ("str", "int", "float", "bool", "null", "map", "seq", "merge")
}
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"
_MAX_NODES = 200_000  # values in a document, aliases expanded (a "billion laughs" alias bomb)


class _TooLarge(Exception):
    def __init__(self, node_mark: yaml.Mark | None) -> None:
        self.mark = node_mark


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader that stops composing past _MAX_NODES values (before the tree is built)."""

    composed = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        self.composed += 1
        if self.composed > _MAX_NODES:
            raise _TooLarge(self.peek_event().start_mark if self.check_event() else None)
        return super().compose_node(parent, index)


@dataclass(frozen=True)
class Pos:
    """A place in a file: 1-based line and column."""

    file: str
    line: int
    col: int


class LocatedDict(dict):
    """A dict that remembers the position of each value (`pos`) and each key (`key_pos`)."""

    def __init__(self, *args: Any, at: Pos | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.at = at
        self.pos: dict[Any, Pos] = {}
        self.key_pos: dict[Any, Pos] = {}


class LocatedList(list):
    """A list that remembers the position of each item (`pos`, parallel to the items)."""

    def __init__(self, *args: Any, at: Pos | None = None) -> None:
        super().__init__(*args)
        self.at = at
        self.pos: list[Pos | None] = [None] * len(self)


class YamlProblems(Exception):
    """Raised with the problems found while reading YAML."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(map(str, problems)))
        self.problems = problems


def read_text(path: str, display: str) -> str:
    """Read a scenario file as UTF-8 text, or report why it is not one."""
    try:
        raw = read_limited(path)
    except InputFileError as err:
        reason = "is a folder, not a scenario file" if err.reason == "is a folder, not a file" else err.reason
        raise YamlProblems([Problem(display, 0, 0, (), reason)]) from None
    if b"\x00" in raw:
        raise YamlProblems([Problem(display, 1, 1, (), "is a binary file, not a YAML scenario")])
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        col = err.start - (raw.rfind(b"\n", 0, err.start) + 1) + 1
        message = "is not UTF-8 text (a binary file?)"
        raise YamlProblems([Problem(display, line, col, (), message)]) from None


def parse_yaml(text: str, display: str) -> Any:
    """Parse one YAML document into located containers; raise `YamlProblems` on any error."""
    try:
        loader = _Loader(text)  # checks first that every character may appear in YAML
        node = loader.get_single_node()
    except _TooLarge as err:
        line, col = (err.mark.line + 1, err.mark.column + 1) if err.mark else (1, 1)
        message = f"file too large: more than {_MAX_NODES} values (a scenario has a few hundred)"
        raise YamlProblems([Problem(display, line, col, (), message)]) from None
    except yaml.reader.ReaderError as err:
        line = text.count("\n", 0, err.position) + 1
        col = err.position - (text.rfind("\n", 0, err.position) + 1) + 1
        message = f"character U+{err.character:04X} is not allowed in YAML (a control character?)"
        raise YamlProblems([Problem(display, line, col, (), message)]) from None
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        raise YamlProblems([Problem(display, line, col, (), f"YAML syntax error: {_syntax(err)}")]) from None
    except yaml.YAMLError as err:
        first = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise YamlProblems([Problem(display, 1, 1, (), f"YAML error: {first}")]) from None
    except RecursionError:  # the composer recurses once per level of nesting
        raise YamlProblems([Problem(display, 1, 1, (), _TOO_DEEP)]) from None
    if node is None:
        raise YamlProblems([Problem(display, 1, 1, (), "the file is empty")])
    if isinstance(node, ScalarNode):  # said here: a plain value cannot carry its position
        raise YamlProblems([Problem(display, *_lc(node), (), not_a_mapping("a single value"))])
    builder = _Builder(loader, display)
    try:
        data = builder.build(node, ())
    except RecursionError:
        raise YamlProblems([Problem(display, 1, 1, (), _TOO_DEEP)]) from None
    if builder.problems:
        raise YamlProblems(builder.problems)
    return data


def not_a_mapping(kind: str) -> str:
    return f"a scenario must be a mapping of keys (name:, segments:, ...), not {kind}"


def _lc(node: Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


_TOO_DEEP = "lists and mappings are nested too deeply to read"


_HINTS = {  # the usual causes of PyYAML's commonest complaints
    "mapping values are not allowed": "quote text that contains ': '",
    "found character '\\t'": "indent with spaces, not tabs",
}


def _syntax(err: yaml.MarkedYAMLError) -> str:
    """PyYAML's problem with its context (`while parsing a flow sequence`), where that began, a hint."""
    problem, context = err.problem or "invalid YAML", err.context
    hint = next((f" — {hint}" for start, hint in _HINTS.items() if problem.startswith(start)), "")
    if not context:
        return problem + hint
    if problem.startswith("but "):  # "expected a single document in the stream, but found another"
        return f"{context}, {problem}{hint}"
    begun = err.context_mark
    if begun is None or begun.line == getattr(err.problem_mark, "line", None):
        where = ""
    else:
        where = f" from line {begun.line + 1}"
    return f"{problem} ({context}{where}){hint}"


class _Builder:
    """Turns a composed YAML node tree into located containers, refusing object tags."""

    def __init__(self, loader: yaml.SafeLoader, display: str) -> None:
        self.loader = loader
        self.display = display
        self.problems: list[Problem] = []
        self.nodes = 0
        self.entry: tuple[int, int] | None = None  # the top-level key being built
        self.building: set[int] = set()  # ids of the lists and mappings being built (alias cycles)

    def pos(self, node: Node) -> Pos:
        return Pos(self.display, node.start_mark.line + 1, node.start_mark.column + 1)

    def build(self, node: Node, path: tuple[Any, ...]) -> Any:
        self.nodes += 1
        if self.nodes > _MAX_NODES:
            if self.nodes == _MAX_NODES + 1:
                message = f"the document expands to more than {_MAX_NODES} values (alias bomb?)"
                line, col = self.entry or _lc(node)  # the top-level key that expands
                self.problems.append(Problem(self.display, line, col, path[:1], message))
            return None
        if node.tag not in _PLAIN_TAGS and node.tag != _TIMESTAMP_TAG:
            tag = node.tag.replace("tag:yaml.org,2002:", "!!")
            message = f"YAML tag '{tag}' is not allowed (only plain values, lists and mappings)"
            self.problems.append(Problem(self.display, *_lc(node), path, message))
            return None
        if isinstance(node, MappingNode | SequenceNode):
            if id(node) in self.building:
                message = "an alias refers to the list or mapping that contains it (a cycle)"
                self.problems.append(Problem(self.display, *_lc(node), path, message))
                return None
            self.building.add(id(node))
            try:
                return (
                    self._mapping(node, path) if isinstance(node, MappingNode) else self._sequence(node, path)
                )
            finally:
                self.building.discard(id(node))
        assert isinstance(node, ScalarNode)
        if node.tag == _TIMESTAMP_TAG:  # keep dates as the text written
            return node.value
        try:
            return self.loader.construct_object(node, deep=True)
        except (ValueError, KeyError, IndexError, yaml.YAMLError):  # `!!int abc`, `!!int` of nothing, 5000 digits
            short = node.tag.removeprefix("tag:yaml.org,2002:")
            kind = {"int": "a whole number", "float": "a number", "bool": "true or false"}.get(short, short)
            message = f"cannot be read as {kind}"
            self.problems.append(Problem(self.display, *_lc(node), path, message, node.value))
            return None

    def _mapping(self, node: MappingNode, path: tuple[Any, ...]) -> LocatedDict:
        out = LocatedDict(at=self.pos(node))
        try:
            self.loader.flatten_mapping(node)  # resolves YAML merge keys (<<)
        except yaml.MarkedYAMLError as err:
            self.problems.append(Problem(self.display, *_lc(node), path, str(err.problem)))
            return out
        for key_node, value_node in node.value:
            if self.nodes > _MAX_NODES:
                break  # an alias bomb: its one problem says it all
            key = self.build(key_node, path)
            if not path:
                self.entry = _lc(key_node)
            if not isinstance(key, str):
                message = "keys must be text"
                self.problems.append(Problem(self.display, *_lc(key_node), path, message, key))
                continue
            if key in out:
                first = out.key_pos[key]
                message = f"duplicate key '{key}' (first at line {first.line})"
                self.problems.append(Problem(self.display, *_lc(key_node), (*path, key), message))
                continue
            out[key] = self.build(value_node, (*path, key))
            out.pos[key] = self.pos(value_node)
            out.key_pos[key] = self.pos(key_node)
        return out

    def _sequence(self, node: SequenceNode, path: tuple[Any, ...]) -> LocatedList:
        out = LocatedList(at=self.pos(node))
        for index, item in enumerate(node.value):
            out.append(self.build(item, (*path, index)))
            out.pos.append(self.pos(item))
        return out


def position_of(data: Any, path: tuple[Any, ...], key: bool = False) -> Pos | None:
    """The position of the value at `path` (or of its key), or of the nearest ancestor known."""
    best: Pos | None = getattr(data, "at", None)
    node = data
    for index, part in enumerate(path):
        last = index == len(path) - 1
        if isinstance(node, LocatedDict) and isinstance(part, str) and part in node:
            table = node.key_pos if (last and key) else node.pos
            best = table.get(part, best)
            node = node[part]
        elif isinstance(node, LocatedList) and isinstance(part, int) and 0 <= part < len(node):
            best = node.pos[part] or best
            node = node[part]
        else:
            break
        best = getattr(node, "at", None) if (not last and getattr(node, "at", None)) else best
    return best
