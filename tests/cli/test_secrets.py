"""Issue 13, case 8: no credential in dlt's files, in output, or in the example secrets file."""

from __future__ import annotations

import re
import stat
import tomllib
from pathlib import Path

from pipelines.exit_codes import EXIT_CONFIG
from pipelines.runner import VENDORS, settings_for, state_dir
from sandbox.service import Sandbox
from tests.cli.test_run_and_check import syncscope
from tests.conftest import small_config

REPO = Path(__file__).resolve().parents[2]


def every_file(*roots: Path) -> list[Path]:
    return [p for root in roots if root.exists() for p in ([root] if root.is_file() else root.rglob("*"))]


def test_a_token_with_cr_lf_reaches_no_file_and_dlt_files_are_private(tmp_path: Path) -> None:
    with Sandbox(small_config(days=1, records=100)) as box:
        token = box.world.ai_squared.api_token
        env = {k: v for k, v in box.env().items() if "LOGIN" not in k and k.startswith("SOURCES__AI_SQUARED")}
        env["SOURCES__AI_SQUARED__API_TOKEN"] = f"{token}\r\nX-Injected: {token}"
        db = tmp_path / "w.duckdb"
        result = syncscope("run", "--vendor", "ai_squared", "--db", str(db), env=env)
    assert result.returncode == EXIT_CONFIG, result.stdout + result.stderr
    assert token not in result.stdout + result.stderr
    files = every_file(state_dir(db), db, tmp_path)
    assert any(p.name == "trace.pickle" for p in files), "dlt wrote its trace"
    leaking = [p for p in files if p.is_file() and token.encode() in p.read_bytes()]
    assert leaking == []
    modes = {p.relative_to(state_dir(db)): stat.S_IMODE(p.stat().st_mode) for p in every_file(state_dir(db))}
    assert stat.S_IMODE(state_dir(db).stat().st_mode) == 0o700
    assert {m for p, m in modes.items() if (state_dir(db) / p).is_dir()} == {0o700}
    assert {m for p, m in modes.items() if (state_dir(db) / p).is_file()} == {0o600}


def test_a_password_in_base_url_is_never_printed(tmp_path: Path) -> None:
    env = {"SOURCES__TIMBAL__BASE_URL": "http://syncscope:pa55word-secret@127.0.0.1:9/api",
           "SOURCES__TIMBAL__ORG_ID": "org_1", "SOURCES__TIMBAL__API_KEY": "key-123456"}  # fmt: skip
    result = syncscope("run", "--vendor", "timbal", "--db", str(tmp_path / "w.duckdb"), env=env)
    assert result.returncode == EXIT_CONFIG
    assert "pa55word-secret" not in result.stdout + result.stderr
    assert result.stdout.splitlines()[0] == (
        "timbal      failed: timbal: sources.timbal.base_url must not carry user:password@ "
        "(credentials go in their own secret keys), e.g. http://127.0.0.1:9/api"
    )


def test_the_example_secrets_file_names_the_keys_the_code_reads() -> None:
    example = tomllib.loads((REPO / ".dlt" / "secrets.toml.example").read_text())
    named = {vendor: set(keys) for vendor, keys in example["sources"].items()}
    secrets = {vendor: {s.name for s in settings_for(vendor).declared() if s.secret} for vendor in VENDORS}
    assert named == secrets | {"ai_squared": {"api_token", "login_email", "login_password"}}
    text = (REPO / ".dlt" / "secrets.toml.example").read_text()
    vendor_part = text.split("[sources.ai_squared]", 1)[1].split("\n[", 1)[0]  # up to the next table
    assert not re.search(r"^#?\s*(email|password)\s*=", vendor_part, re.MULTILINE)
