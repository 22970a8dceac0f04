"""Hypothesis strategies for whatever an OpenAPI excerpt's schema allows.

A small generator of our own rather than hypothesis-jsonschema (which breaks with current
hypothesis and knows neither OpenAPI's `nullable` nor the room RFC 3339 leaves): it walks a schema
from `tests/spec_validation.spec_dict` and covers, for every field, what the schema permits and
a server can really send: any text (NUL, empty, any plane), date-times in the full RFC 3339
grammar, integers across int64 (int32 where the format says so), numbers as doubles and as whole
numbers of any size, nulls where nullable, optional properties absent, and unknown extra
properties (the excerpts never forbid them) of every JSON type.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st

from .rfc3339 import date_times

INT64 = (-(2**63), 2**63 - 1)
INT32 = (-(2**31), 2**31 - 1)
EDGE_INTS = [0, 1, -1, 2**31 - 1, 2**53, 2**53 + 1, 2**63 - 1, -(2**63)]

Overrides = dict[str, st.SearchStrategy[Any]]
WIDE_INTEGERS = False  # True: integers past 64 bits where the excerpt gives no format (not loaded yet)
AWKWARD_NAMES = True  # unknown properties named "", "Status", "a b", ... (see awkward_names)


def texts(max_size: int = 12) -> st.SearchStrategy[str]:
    """Any text: empty, NUL, control characters, astral planes (no lone surrogates: not UTF-8)."""
    return st.one_of(
        st.text(max_size=max_size),
        st.sampled_from(["", "\x00", "a\x00b", "\x00\x00", "é\u2028😀", " ", "null", "12abc"]),
    )


def integers(low: int, high: int) -> st.SearchStrategy[int]:
    edges = [v for v in EDGE_INTS if low <= v <= high] + [low, high]
    return st.one_of(st.integers(low, high), st.sampled_from(edges), st.integers(-1000, 1000))


def numbers() -> st.SearchStrategy[float | int]:
    """A JSON number: a finite double, or a whole number (any size a double can approach)."""
    return st.one_of(
        st.floats(allow_nan=False, allow_infinity=False),
        st.integers(-(2**70), 2**70),
        st.sampled_from([2**53 + 1, 2**63, 2**64 + 7, 10**20, -(2**60) - 3, 0.1, -0.0, 1e308]),
    )


def json_values(big_ints: bool = True) -> st.SearchStrategy[Any]:
    """Any JSON value, with integers beyond 64 bits when `big_ints`."""
    ints = st.integers(-(2**80), 2**80) if big_ints else st.integers(*INT64)
    scalars = st.one_of(
        st.none(),
        st.booleans(),
        ints,
        st.floats(allow_nan=False, allow_infinity=False),
        texts(8),
    )
    return st.recursive(
        scalars,
        lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(texts(6), inner, max_size=3)),
        max_leaves=6,
    )


def extra_names(declared: set[str]) -> st.SearchStrategy[str]:
    """Names of unknown properties the checks can find by name: `x_` + lower-case letters and
    digits (what dlt's naming convention keeps as it is), never a declared one; a few shared
    names recur, so one property meets different types across objects and levels."""
    names = st.one_of(st.sampled_from(["x_a", "x_b"]), st.from_regex(r"x_[a-z][a-z0-9]{0,5}", fullmatch=True))
    return names.filter(lambda n: n not in declared)


def awkward_names(declared: set[str]) -> st.SearchStrategy[str]:
    """Names the excerpts allow that no warehouse column can carry as they are: empty, any text,
    a declared name in other case (`Status` beside `status`). The load must survive them and keep
    every declared field exact; where their values land is the sources' rule (README)."""
    variants = sorted({v for n in declared for v in (n.upper(), n.title(), n.replace("_", " "))} - declared)
    options = [st.just(""), texts(6)] + ([st.sampled_from(variants)] if variants else [])
    return st.one_of(options).filter(lambda n: n not in declared and not n.startswith("x_"))


class SchemaStrategies:
    """Strategies for the schemas of one excerpt (`$ref`s resolved in it)."""

    def __init__(self, spec: dict, extras: bool = True) -> None:
        self.spec = spec
        self.extras = extras

    def resolve(self, schema: dict) -> dict:
        while "$ref" in schema:
            node: Any = self.spec
            for part in schema["$ref"].removeprefix("#/").split("/"):
                node = node[part]
            schema = node
        return schema

    def component(self, name: str) -> dict:
        return self.spec["components"]["schemas"][name]

    def build(
        self,
        schema: dict,
        overrides: Overrides | None = None,
        always: set[str] | frozenset[str] = frozenset(),
        path: str = "",
    ) -> st.SearchStrategy[Any]:
        """Values of `schema`; `overrides` (dotted path -> strategy) replace a property's
        strategy, `always` names optional properties that must be present (ids the world needs)."""
        overrides = overrides or {}
        if path in overrides:
            return overrides[path]
        schema = self.resolve(schema)
        kinds = schema.get("type", "object")
        kinds = list(kinds) if isinstance(kinds, list) else [kinds]
        nullable = schema.get("nullable") is True or "null" in kinds
        kinds = [k for k in kinds if k != "null"]
        options = [self._of_kind(kind, schema, overrides, always, path) for kind in kinds]
        if nullable:
            options.append(st.none())
        return st.one_of(options)

    def _of_kind(
        self, kind: str, schema: dict, overrides: Overrides, always: set[str] | frozenset[str], path: str
    ) -> st.SearchStrategy[Any]:
        if "enum" in schema:
            return st.sampled_from(schema["enum"])
        if kind == "string":
            return date_times() if schema.get("format") == "date-time" else texts()
        if kind == "integer":
            fmt = schema.get("format")
            if fmt is None and WIDE_INTEGERS:  # OpenAPI's integer without a format has no size limit
                return st.one_of(integers(*INT64), st.integers(-(2**80), 2**80))
            return integers(*(INT32 if fmt == "int32" else INT64))
        if kind == "number":
            return numbers()
        if kind == "boolean":
            return st.booleans()
        if kind == "array":
            return st.lists(self.build(schema.get("items", {}), overrides, always, f"{path}[]"), max_size=3)
        return self._object(schema, overrides, always, path)

    def _object(
        self, schema: dict, overrides: Overrides, always: set[str] | frozenset[str], path: str
    ) -> st.SearchStrategy[dict]:
        properties: dict[str, dict] = schema.get("properties", {})
        required = set(schema.get("required", [])) | {p for p in properties if _join(path, p) in always}
        child: Callable[[str], st.SearchStrategy[Any]] = lambda p: self.build(  # noqa: E731
            properties[p], overrides, always, _join(path, p)
        )
        fixed = st.fixed_dictionaries(
            {p: child(p) for p in properties if p in required},
            optional={p: child(p) for p in properties if p not in required},
        )
        if not self.extras:
            return fixed
        extra = st.dictionaries(extra_names(set(properties)), json_values(), max_size=2)
        if AWKWARD_NAMES:
            odd = st.dictionaries(awkward_names(set(properties)), json_values(), max_size=1)
            extra = st.builds(lambda a, b: {**b, **a}, extra, st.one_of(st.just({}), odd))
        return st.builds(lambda known, more: {**known, **more}, fixed, extra)


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name
