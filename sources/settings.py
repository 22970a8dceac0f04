"""A vendor's settings declared once, as a typed dataclass, and everything else derived from it.

Each vendor package holds one `settings.py` with a `VendorSettings` dataclass: every field is a
setting (`sources.<vendor>.<name>`, env SOURCES__<VENDOR>__<NAME>) with its default, whether it is
a secret, how it is checked and a line of documentation. From that one declaration come:

- the source function's signature (`VendorSettings.source`), so dlt injects config by argument
  name exactly as for a hand-written `@dlt.source`;
- the runner's reading (`VendorSettings.resolve`): each pinned setting read only from its own key
  (left to dlt, a bare `BASE_URL` or `API_KEY` meant for another tool would fill it), secrets
  registered for masking, required ones checked, numbers coerced (and range-checked by
  `VendorSettings.__post_init__`) before the vendor's first request (left to dlt,
  `http_concurrency = 0` surfaced as a pool timeout after minutes of retries, a negative
  lookback silently skipped new runs);
- the config example, the secrets example and the README tables (`pipelines/settings_docs.py`).
"""

from __future__ import annotations

import dataclasses
import inspect
import math
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, Self
from urllib.parse import urlsplit

import dlt
from dlt.common.typing import ConfigValueSentinel

from sources.http import ConfigError, RetryPolicy, VendorClient
from sources.toolkit import json_list


class SettingInvalid(ValueError):
    """A setting's value cannot be used; the message is one line naming the key, never a secret."""


class NotConfigured(Exception):
    """The vendor has no credentials (or no base URL): skipped, not failed."""


@dataclass(frozen=True)
class Knob:
    """A numeric setting's type and range."""

    kind: type  # int or float
    minimum: float
    strict: bool = False  # True: must be greater than `minimum`, not equal
    maximum: float | None = None  # a typo of a few zeros must not start 100,000 threads


URL = "url"  # `check` of a base URL: http(s), a host, no user-info


@dataclass(frozen=True)
class Setting:
    """One setting as its vendor declares it (the metadata of a `VendorSettings` field)."""

    name: str
    annotation: Any
    default: Any
    doc: str
    secret: bool = False
    pinned: bool = True  # read by the runner from its own key only; False: left to dlt's injection
    required: bool = False  # unset: the vendor is skipped, not failed
    check: Knob | str | None = None
    choices: tuple[str, ...] = ()
    example: str | None = None  # a TOML value shown in the config example
    active: bool = False  # the example line is set, not commented out
    shown_default: str | None = None  # the README's default column when the default says nothing
    in_secrets_file: bool = False  # listed in secrets.toml.example (every secret is)

    @property
    def in_secrets(self) -> bool:
        return self.secret or self.in_secrets_file

    @property
    def has_default(self) -> bool:
        return not isinstance(self.default, ConfigValueSentinel)


def setting(
    default: Any,
    doc: str,
    *,
    secret: bool = False,
    pinned: bool = True,
    required: bool = False,
    check: Knob | str | None = None,
    choices: tuple[str, ...] = (),
    example: str | None = None,
    active: bool = False,
    shown_default: str | None = None,
    in_secrets_file: bool = False,
) -> Any:
    """A dataclass field carrying its setting's declaration (see `Setting`)."""
    meta = {
        "secret": secret, "pinned": pinned, "required": required, "check": check, "choices": choices,
        "example": example, "active": active, "shown_default": shown_default, "doc": doc,
        "in_secrets_file": in_secrets_file,
    }  # fmt: skip
    # A secret stays out of the object's repr, so a debug print or a traceback never shows it.
    return dataclasses.field(default=default, repr=not secret, metadata={"setting": meta})


@typing.dataclass_transform(frozen_default=True, field_specifiers=(dataclasses.field,))
@dataclass(frozen=True)
class VendorSettings:
    """Base of each vendor's settings dataclass; `vendor` names the config section.

    `class XSettings(VendorSettings, vendor="x")` is all a vendor writes: the subclass is made a
    frozen dataclass here, so no vendor can forget it (or make its settings mutable).
    """

    vendor: ClassVar[str]

    def __init_subclass__(cls, vendor: str, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.vendor = vendor
        dataclass(frozen=True)(cls)

    def __post_init__(self) -> None:
        """Every range and choice is checked here, once, however the object was built (the runner's
        `resolve`, dlt's injection, a direct call), before the vendor's first request."""
        for item in self.declared():
            value = getattr(self, item.name)
            if isinstance(item.check, Knob):
                check_range(self.key(item.name), value, item.check)
            if item.choices and value not in item.choices:
                raise ConfigError(
                    self.vendor, f"{item.name} must be one of {', '.join(item.choices)}, not {value!r}"
                )

    def http_client(self, token_setting: str, **options: Any) -> VendorClient:
        """The vendor's HTTP client from the settings every vendor declares (`base_url`,
        `http_concurrency`, `timeout_seconds`, `max_attempts`); `options` add its auth or headers.
        `token_setting` is what a 401 tells the user to fix."""
        settings: Any = self  # the four are declared by each vendor's subclass
        return VendorClient(
            self.vendor,
            settings.base_url,
            timeout_s=settings.timeout_seconds,
            max_connections=settings.http_concurrency,
            retry=RetryPolicy(attempts=settings.max_attempts),
            token_setting=token_setting,
            **options,
        )

    @classmethod
    def declared(cls) -> tuple[Setting, ...]:
        """Every setting, in declaration (and signature) order."""
        hints = typing.get_type_hints(cls, include_extras=True)
        return tuple(
            Setting(name=f.name, annotation=hints[f.name], default=f.default, **f.metadata["setting"])
            for f in dataclasses.fields(cls)
        )

    @classmethod
    def key(cls, name: str) -> str:
        return f"sources.{cls.vendor}.{name}"

    @classmethod
    def signature(cls) -> inspect.Signature:
        """The source's signature: one argument per setting, as dlt reads them for injection."""
        kind = inspect.Parameter.POSITIONAL_OR_KEYWORD
        parameters = [inspect.Parameter(s.name, kind, default=s.default, annotation=s.annotation)
                      for s in cls.declared()]  # fmt: skip
        return inspect.Signature(parameters)

    @classmethod
    def source(cls, **dlt_source_options: Any) -> Callable[[Callable[[Self], Any]], Any]:
        """`@dlt.source` over `body(settings)`, with a signature generated from the settings.

        dlt builds its config spec from the signature and injects `sources.<vendor>.<name>`
        values by argument name; the body receives them as one typed, checked object.
        """

        def decorate(body: Callable[[Self], Any]) -> Any:
            signature = cls.signature()

            def source(*args: Any, **kwargs: Any) -> Any:
                bound = signature.bind(*args, **kwargs)
                bound.apply_defaults()
                return body(cls(**bound.arguments))

            # dlt names the config section after the function's module: the vendor's package.
            source.__module__, source.__doc__ = body.__module__, body.__doc__
            source.__name__ = source.__qualname__ = body.__name__
            source.__signature__ = signature  # type: ignore[attr-defined]
            return dlt.source(name=cls.vendor, **dlt_source_options)(source)

        return decorate

    @classmethod
    def resolve(cls, on_secret: Callable[[object], None]) -> dict[str, object]:
        """The pinned settings, read each from its own key only and checked, for the source's call.

        `on_secret` sees every secret value as soon as it is read (the runner masks it). Raises
        NotConfigured when a required setting is unset, SettingInvalid for a value that cannot
        be read as its type (one out of range fails as the settings object is built, see
        `__post_init__`); a numeric setting left unset gets its declared default. Settings not
        pinned are left out: dlt injects them through the signature.
        """
        pinned = [s for s in cls.declared() if s.pinned]
        values: dict[str, object] = {}
        for item in pinned:
            if item.secret:
                # No type hint: dlt then treats the lookup as a secret and keeps it out of its trace.
                value = _json_list(dlt.secrets.get(cls.key(item.name)))
                on_secret(value)
                # Secret files often end in a newline; a header with one would fail (and be quoted).
                values[item.name] = value.strip() if isinstance(value, str) else value
            elif not isinstance(item.check, Knob):
                value = dlt.secrets.get(cls.key(item.name), str)  # secrets.toml first, as dlt would
                values[item.name] = value if value is not None else dlt.config.get(cls.key(item.name), str)
        missing = [s.name for s in pinned if s.required and values.get(s.name) in (None, "")]
        if missing:
            raise NotConfigured(f"{cls.vendor}: not configured ({', '.join(missing)} missing); skipped")
        for item in pinned:
            if item.check == URL and values[item.name] not in (None, ""):
                values[item.name] = check_base_url(cls.key(item.name), values[item.name])
            if isinstance(item.check, Knob):
                value = dlt.config.get(cls.key(item.name))
                if value is None or value == "":
                    values[item.name] = item.default
                else:
                    values[item.name] = coerce_knob(cls.key(item.name), value, item.check)
        return values


def _json_list(value: object) -> object:
    """`'["t1", "t2"]'` from an environment variable -> a list (TOML gives a list already)."""
    parsed = json_list(value) if isinstance(value, str) else None
    return value if parsed is None else parsed


def coerce_knob(key: str, value: object, knob: Knob) -> int | float:
    """`value` as the knob's type, or SettingInvalid saying what was expected (its range is
    checked by `VendorSettings.__post_init__`, as for a value that did not come through here)."""
    what = "a whole number" if knob.kind is int else "a number"
    if isinstance(value, bool):
        raise SettingInvalid(f"{key} must be {what}, not {value!r}")
    try:
        number = float(str(value).strip()) if isinstance(value, str) else float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise SettingInvalid(f"{key} must be {what}, not {value!r}") from None
    if not math.isfinite(number) or (knob.kind is int and number != int(number)):
        raise SettingInvalid(f"{key} must be {what}, not {value!r}")
    return int(number) if knob.kind is int else number


def check_range(key: str, value: int | float, knob: Knob) -> None:
    """SettingInvalid naming `key` when `value` is outside the knob's range."""
    bound = f"{knob.minimum:g}"
    shown = int(value) if isinstance(value, float) and value.is_integer() else value  # 0, not 0.0
    if knob.strict and value <= knob.minimum:
        raise SettingInvalid(f"{key} must be greater than {bound}, not {shown}")
    if not knob.strict and value < knob.minimum:
        raise SettingInvalid(f"{key} must be at least {bound}, not {shown}")
    if knob.maximum is not None and value > knob.maximum:
        raise SettingInvalid(f"{key} must be at most {knob.maximum:g}, not {shown}")


def check_base_url(key: str, value: object) -> str:
    """An http(s) URL with a host and no user-info; the error never repeats a password."""
    text = str(value).strip()
    try:
        parts = urlsplit(text)
        port = parts.port  # raises on a port that is not a number
    except ValueError:
        raise SettingInvalid(f"{key} is not a valid URL") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        shown = redact_url(text)
        raise SettingInvalid(f"{key} must be an http:// or https:// URL with a host, not {shown!r}")
    if parts.username is not None or parts.password is not None:
        raise SettingInvalid(
            f"{key} must not carry user:password@ (credentials go in their own secret keys), "
            f"e.g. {parts.scheme}://{parts.hostname}{'' if port is None else f':{port}'}{parts.path}"
        )
    return text


def redact_url(text: str) -> str:
    """`scheme://user:pass@host/...` -> `scheme://***@host/...`; anything else unchanged."""
    scheme, sep, rest = text.partition("://")
    if not sep:
        return text
    authority, slash, tail = rest.partition("/")
    if "@" in authority:
        authority = "***@" + authority.rsplit("@", 1)[1]
    return f"{scheme}{sep}{authority}{slash}{tail}"


def credential(doc: str, example: str = '""') -> Any:
    """A secret credential: unset by default (the vendor is then skipped), out of every repr and
    log, listed in the secrets example."""
    return setting(None, doc, secret=True, example=example)


def concurrency(doc: str, default: int = 8) -> Any:
    """`http_concurrency`, as every vendor's HTTP client takes it."""
    return setting(default, doc, check=Knob(int, 1, maximum=256))


def timeout(doc: str, default: float = 30.0) -> Any:
    """`timeout_seconds`: per request, the whole answer."""
    return setting(default, doc, check=Knob(float, 0, strict=True))


def attempts(doc: str, default: int = 6) -> Any:
    """`max_attempts`: tries for 5xx, dropped, truncated or stalled responses."""
    return setting(default, doc, check=Knob(int, 1, maximum=100))


def api_root(example: str) -> Any:
    """The vendor's API root: required, checked as a URL, set in the config example."""
    return setting(
        dlt.config.value, "API root", required=True, check=URL, example=f'"{example}"', active=True
    )
