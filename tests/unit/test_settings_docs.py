"""Each vendor's settings class is the one declaration: docs, signature and the runner follow it."""

from __future__ import annotations

import inspect
import re
import shutil
from pathlib import Path

import pytest

from pipelines import settings_docs
from pipelines.runner import VENDORS, _source_factory, build_source, settings_for
from pipelines.settings_docs import CONFIG, README, SECRETS, render, stale
from sources.settings import NotConfigured, SettingInvalid

REPO = Path(__file__).resolve().parents[2]
DOCS = [CONFIG, SECRETS, README]


@pytest.mark.parametrize("doc", DOCS, ids=str)
def test_the_docs_say_what_the_settings_classes_declare(doc: Path) -> None:
    text = (REPO / doc).read_text()
    assert render(doc, text) == text, f"{doc} is stale: run python -m pipelines.settings_docs"


def _copy_docs(root: Path) -> None:
    for doc in DOCS:
        (root / doc).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(REPO / doc, root / doc)


def test_a_doc_that_disagrees_with_a_settings_class_is_stale(tmp_path: Path) -> None:
    _copy_docs(tmp_path)
    assert stale(tmp_path) == []
    readme = tmp_path / README
    # The Timbal table says http_concurrency defaults to 8; a hand edit to 16 must be caught.
    row = "| `http_concurrency` | 8 | detail requests in flight at once (and the connection pool size) |"
    assert readme.read_text().count(row) == 1
    readme.write_text(readme.read_text().replace(row, row.replace("| 8 |", "| 16 |")))
    config = tmp_path / CONFIG
    config.write_text(config.read_text().replace("# lookback_seconds = 900 ", "# lookback_seconds = 600 "))
    secrets = tmp_path / SECRETS
    secrets.write_text(secrets.read_text().replace('api_key = ""\n', ""))
    assert stale(tmp_path) == [CONFIG, SECRETS, README]


def test_the_generator_rewrites_a_stale_doc_and_check_reports_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _copy_docs(tmp_path)
    config = tmp_path / CONFIG
    original = config.read_text()
    config.write_text(original.replace('# org_id = "org_..."\n', ""))
    monkeypatch.setattr(settings_docs, "REPO", tmp_path)
    assert settings_docs.main(["--check"]) == 1
    assert capsys.readouterr().out == (
        ".dlt/config.toml: differs from the vendors' settings; run python -m pipelines.settings_docs\n"
    )
    assert settings_docs.main([]) == 0
    assert config.read_text() == original
    assert settings_docs.main(["--check"]) == 0


@pytest.mark.parametrize("vendor", VENDORS)
def test_the_source_signature_is_generated_from_the_settings(vendor: str) -> None:
    parameters = inspect.signature(_source_factory(vendor)).parameters
    declared = settings_for(vendor).declared()
    assert [(p.name, p.default) for p in parameters.values()] == [(s.name, s.default) for s in declared]


def test_no_vendor_setting_is_named_in_pipelines() -> None:
    """The runner and the commands know no vendor's keys: those live in the vendor's package."""
    shared = {"base_url", "http_concurrency", "timeout_seconds", "max_attempts"}  # every vendor's, generic
    names = {s.name for v in VENDORS for s in settings_for(v).declared()} - shared
    found = {
        (str(path.relative_to(REPO)), name)
        for path in (REPO / "pipelines").rglob("*.py")
        for name in names
        if re.search(rf"\b{name}\b", path.read_text())
    }
    assert found == set()


def _clear(monkeypatch: pytest.MonkeyPatch, vendor: str) -> None:
    for item in settings_for(vendor).declared():
        monkeypatch.delenv(f"SOURCES__{vendor.upper()}__{item.name.upper()}", raising=False)


def test_resolve_reads_each_pinned_setting_from_its_own_key_and_reports_secrets(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _clear(monkeypatch, "timbal")
    monkeypatch.setenv("BASE_URL", "http://generic.invalid")  # meant for another tool: never read
    monkeypatch.setenv("MAX_ATTEMPTS", "99")
    monkeypatch.setenv("SOURCES__TIMBAL__BASE_URL", " http://127.0.0.1:9/api ")
    monkeypatch.setenv("SOURCES__TIMBAL__ORG_ID", "org_1")
    monkeypatch.setenv("SOURCES__TIMBAL__API_KEY", "key-1\n")
    monkeypatch.setenv("SOURCES__TIMBAL__TIMEOUT_SECONDS", "2.5")
    seen: list[object] = []
    values = settings_for("timbal").resolve(on_secret=seen.append)
    assert values == {
        "base_url": "http://127.0.0.1:9/api",
        "org_id": "org_1",
        "api_key": "key-1",
        "http_concurrency": 8,
        "timeout_seconds": 2.5,
        "max_attempts": 6,
    }  # connector_ids is not pinned: dlt injects it through the signature
    assert seen == ["key-1\n"]


def test_resolve_parses_a_json_list_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    _clear(monkeypatch, "paragon")
    monkeypatch.setenv("SOURCES__PARAGON__BASE_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("SOURCES__PARAGON__USER_TOKENS", '["t1", "t2"]')
    seen: list[object] = []
    assert settings_for("paragon").resolve(on_secret=seen.append)["user_tokens"] == ["t1", "t2"]
    assert seen == [["t1", "t2"]]


def test_resolve_names_the_missing_required_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    _clear(monkeypatch, "timbal")
    monkeypatch.setenv("SOURCES__TIMBAL__BASE_URL", "")  # beats config.toml's example URL
    with pytest.raises(NotConfigured) as raised:
        settings_for("timbal").resolve(on_secret=lambda _: None)
    assert str(raised.value) == "timbal: not configured (base_url, org_id missing); skipped"


def test_a_knob_is_checked_as_the_source_is_built_and_names_its_key(monkeypatch: pytest.MonkeyPatch) -> None:
    _clear(monkeypatch, "ai_squared")
    monkeypatch.setenv("SOURCES__AI_SQUARED__BASE_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("SOURCES__AI_SQUARED__RECORDS_PER_PAGE", "0")
    with pytest.raises(SettingInvalid) as raised:
        build_source("ai_squared")
    assert str(raised.value) == "sources.ai_squared.records_per_page must be at least 1, not 0"


def test_a_knob_given_directly_is_checked_by_its_range_too() -> None:
    """Not only what `resolve` reads: a value dlt injects or a caller passes meets the same check."""
    from sources.timbal.settings import TimbalSettings

    with pytest.raises(SettingInvalid) as raised:
        TimbalSettings(base_url="http://127.0.0.1:9", org_id="o", api_key="k", timeout_seconds=0.0)
    assert str(raised.value) == "sources.timbal.timeout_seconds must be greater than 0, not 0"


class _Built(Exception):
    """Stops the source once its settings object exists: no client, no request."""


def test_dlt_injects_a_setting_by_its_key_through_the_generated_signature(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from sources.timbal import timbal
    from sources.timbal.settings import TimbalSettings

    _clear(monkeypatch, "timbal")
    monkeypatch.setenv("SOURCES__TIMBAL__CONNECTOR_IDS", '["conn_a", "conn_b"]')
    monkeypatch.setenv("SOURCES__TIMBAL__ORG_ID", "org_env")
    built: list[TimbalSettings] = []

    def capture(settings: TimbalSettings) -> None:
        built.append(settings)
        raise _Built

    monkeypatch.setattr(TimbalSettings, "client", capture)
    with pytest.raises(_Built):
        timbal(base_url="http://127.0.0.1:9", api_key="key-secret-123", max_attempts=2)
    [settings] = built
    assert (settings.base_url, settings.org_id, settings.connector_ids) == (
        "http://127.0.0.1:9", "org_env", ["conn_a", "conn_b"],
    )  # fmt: skip
    assert (settings.http_concurrency, settings.max_attempts) == (8, 2)
    assert "key-secret-123" not in repr(settings)  # a secret stays out of the settings object's repr


def test_a_choice_setting_is_checked_when_the_source_is_built(monkeypatch: pytest.MonkeyPatch) -> None:
    from sources.ai_squared import ai_squared
    from sources.http import ConfigError

    _clear(monkeypatch, "ai_squared")
    monkeypatch.setenv("SOURCES__AI_SQUARED__RECORDS_MODE", "everything")
    with pytest.raises(ConfigError) as raised:
        ai_squared(base_url="http://127.0.0.1:9", api_token="t")
    assert str(raised.value) == "ai_squared: records_mode must be one of failed, all, none, not 'everything'"
