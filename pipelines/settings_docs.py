"""The vendor settings' documentation, written from each vendor's settings class.

`python -m pipelines.settings_docs` rewrites, from `sources/<vendor>/settings.py`:
- the `[sources.<vendor>]` tables of `.dlt/config.toml` and `.dlt/secrets.toml.example` (each up
  to its first blank line);
- the README's settings table of each vendor (between `<!-- settings:<vendor> -->` and
  `<!-- /settings:<vendor> -->`).
`--check` changes nothing and exits 1 naming what is stale (tests/unit/test_settings_docs.py runs it).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from pathlib import Path

from pipelines.runner import VENDORS, settings_for
from sources.settings import Knob, Setting, VendorSettings

REPO = Path(__file__).resolve().parents[1]
CONFIG, SECRETS, README = Path(".dlt/config.toml"), Path(".dlt/secrets.toml.example"), Path("README.md")
COMMENT_AT = 32  # column of a config line's trailing comment


def _toml(value: object) -> str:
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _hint(item: Setting) -> str:
    """The trailing comment of a config line: the allowed values, or what unset means."""
    if isinstance(item.check, Knob):
        knob = item.check
        low = f"{'>' if knob.strict else '>='} {knob.minimum:g}"
        return low if knob.maximum is None else f"{knob.minimum:g} to {knob.maximum:g}"
    if item.choices:
        return " | ".join(item.choices)
    return f"default: {item.shown_default}" if item.shown_default else ""


def config_block(spec: type[VendorSettings]) -> str:
    """`[sources.<vendor>]` of config.toml: every setting that does not belong in secrets."""
    lines = [f"[sources.{spec.vendor}]"]
    for item in spec.declared():
        if item.in_secrets:
            continue
        value = item.example if item.example is not None else _toml(item.default)
        line = f"{item.name} = {value}" if item.active else f"# {item.name} = {value}"
        hint = _hint(item)
        lines.append(f"{line.ljust(COMMENT_AT - 1)} # {hint}" if hint else line)
    return "\n".join(lines) + "\n"


def secrets_block(spec: type[VendorSettings]) -> str:
    """`[sources.<vendor>]` of secrets.toml.example: the secrets and the keys kept beside them."""
    lines = [f"[sources.{spec.vendor}]"]
    lines += [f"{s.name} = {s.example or _toml('')}" for s in spec.declared() if s.in_secrets]
    return "\n".join(lines) + "\n"


def _default_cell(item: Setting) -> str:
    if not item.has_default:
        return "required" + (f", e.g. `{item.example.strip(chr(34))}`" if item.example else "")
    if item.shown_default is not None:
        return item.shown_default
    if item.default is None:
        return ""
    return f"`{item.default}`" if isinstance(item.default, str) else _toml(item.default)


def readme_table(spec: type[VendorSettings]) -> str:
    """The README's table: key, default, meaning (the settings' own docs)."""
    rows = ["| key | default | meaning |", "|---|---|---|"]
    for item in spec.declared():
        key = f"`{item.name}`" + (" (secret)" if item.secret else "")
        rows.append(f"| {key} | {_default_cell(item)} | {item.doc} |".replace("|  |", "| |"))
    return "\n".join(rows) + "\n"


def _replace_toml_table(text: str, block: str, vendor: str) -> str:
    """`text` with its `[sources.<vendor>]` table (up to the first blank line) replaced by `block`."""
    pattern = re.compile(rf"^\[sources\.{vendor}\]\n(?:.+\n)*", re.MULTILINE)
    if not pattern.search(text):
        raise ValueError(f"no [sources.{vendor}] table")
    return pattern.sub(lambda _: block, text, count=1)


def _replace_readme_table(text: str, table: str, vendor: str) -> str:
    start, end = f"<!-- settings:{vendor} -->\n", f"<!-- /settings:{vendor} -->"
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), re.DOTALL)
    if not pattern.search(text):
        raise ValueError(f"no {start.strip()} ... {end} markers")
    return pattern.sub(lambda _: start + table + end, text, count=1)


RENDERERS: dict[Path, Callable[[str, type[VendorSettings]], str]] = {
    CONFIG: lambda text, spec: _replace_toml_table(text, config_block(spec), spec.vendor),
    SECRETS: lambda text, spec: _replace_toml_table(text, secrets_block(spec), spec.vendor),
    README: lambda text, spec: _replace_readme_table(text, readme_table(spec), spec.vendor),
}


def render(path: Path, text: str) -> str:
    """`text` of the file `path` (one of RENDERERS) with every vendor's part written afresh."""
    for vendor in VENDORS:
        try:
            text = RENDERERS[path](text, settings_for(vendor))
        except ValueError as exc:
            raise ValueError(f"{path}: {exc}") from None
    return text


def stale(root: Path | None = None) -> list[Path]:
    """The documentation files under `root` (the repository) that differ from the settings classes."""
    root = root or REPO
    return [p for p in RENDERERS if render(p, (root / p).read_text()) != (root / p).read_text()]


def main(argv: list[str]) -> int:
    if argv not in ([], ["--check"]):
        print("usage: python -m pipelines.settings_docs [--check]", file=sys.stderr)
        return 2
    outdated = stale()
    if argv == ["--check"]:
        for path in outdated:
            print(f"{path}: differs from the vendors' settings; run python -m pipelines.settings_docs")
        return 1 if outdated else 0
    for path in outdated:
        (REPO / path).write_text(render(path, (REPO / path).read_text()))
        print(f"rewrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
