from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from mastra_lab.config import Settings, load_settings
from mastra_lab.errors import ConfigError


def test_defaults_are_offline_and_in_memory() -> None:
    settings = load_settings(environ={})
    assert settings.storage.backend == "duckdb"
    assert settings.storage.path == ":memory:"
    assert settings.telemetry.exporter == "storage"
    assert settings.default_model == "test"


def test_toml_file_is_read(tmp_path: Path) -> None:
    path = tmp_path / "mastra.toml"
    path.write_text('log_level = "debug"\n[storage]\nbackend = "sqlite"\npath = "app.sqlite"\n')
    settings = load_settings(path, environ={})
    assert (settings.log_level, settings.storage.backend, settings.storage.path) == (
        "DEBUG",
        "sqlite",
        "app.sqlite",
    )


def test_environment_overrides_the_file(tmp_path: Path) -> None:
    path = tmp_path / "mastra.json"
    path.write_text(json.dumps({"storage": {"backend": "sqlite", "path": "a.db"}, "log_level": "INFO"}))
    env = {"MASTRA_STORAGE_BACKEND": "memory", "MASTRA_LOG_LEVEL": "error"}
    settings = load_settings(path, environ=env)
    assert settings.storage.backend == "memory"
    assert settings.storage.path == "a.db"  # untouched by the environment
    assert settings.log_level == "ERROR"


def test_mastra_config_variable_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "c.json"
    path.write_text('{"log_format": "json"}')
    assert load_settings(environ={"MASTRA_CONFIG": str(path)}).log_format == "json"


def test_bad_value_error_names_key_value_source_and_allowed_values() -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(environ={"MASTRA_STORAGE_BACKEND": "oracle"})
    message = str(info.value)
    assert "storage.backend" in message
    assert "'oracle'" in message
    assert "MASTRA_STORAGE_BACKEND" in message
    assert "'duckdb', 'sqlite', 'memory' or 'postgres'" in message
    assert info.value.details["key"] == "storage.backend"


def test_unknown_key_in_a_file_is_an_error_listing_known_keys(tmp_path: Path) -> None:
    path = tmp_path / "c.json"
    path.write_text('{"storage": {"bakend": "sqlite"}}')
    with pytest.raises(ConfigError, match=r"unknown setting 'storage.bakend'.*backend, path, read_only"):
        load_settings(path, environ={})


def test_boolean_from_environment_is_parsed() -> None:
    assert load_settings(environ={"MASTRA_TELEMETRY_ENABLED": "false"}).telemetry.enabled is False
    with pytest.raises(ConfigError, match=r"telemetry\.enabled = 'maybe'"):
        load_settings(environ={"MASTRA_TELEMETRY_ENABLED": "maybe"})


@pytest.mark.parametrize(
    ("name", "content", "match"),
    [
        ("missing.toml", None, "does not exist"),
        ("c.yaml", "a: 1", "use .json or .toml"),
        ("c.toml", "storage = [", "not valid TOML"),
        ("c.json", "[1, 2]", "object at the top level"),
    ],
)
def test_bad_files_are_reported(tmp_path: Path, name: str, content: str | None, match: str) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_text(content)
    with pytest.raises(ConfigError, match=match):
        load_settings(path, environ={})


def test_api_keys_come_from_the_usual_variables_and_never_print() -> None:
    settings = load_settings(environ={"OPENAI_API_KEY": "sk-proj-verysecretvalue9876"})
    assert settings.openai_api_key is not None
    assert settings.openai_api_key.reveal() == "sk-proj-verysecretvalue9876"
    for text in (repr(settings), str(settings), settings.model_dump_json()):
        assert "verysecret" not in text
    assert "sk-…9876" in repr(settings)


def test_settings_are_immutable_once_validated() -> None:
    settings = Settings()
    with pytest.raises(Exception, match="frozen"):
        settings.log_level = "DEBUG"  # type: ignore[misc]


KEY = "sk-proj-verysecretvalue9876"


def test_a_dump_keeps_unset_keys_unset() -> None:
    dump = Settings().model_dump()
    assert (dump["openai_api_key"], dump["anthropic_api_key"], dump["groq_api_key"]) == (None, None, None)
    again = Settings.model_validate(dump)
    assert (again.openai_api_key, again.anthropic_api_key, again.groq_api_key) == (None, None, None)
    assert Settings.model_validate_json(Settings().model_dump_json()).openai_api_key is None


def test_a_dump_shows_a_set_key_masked_and_never_in_clear() -> None:
    settings = load_settings(environ={"OPENAI_API_KEY": KEY})
    assert settings.model_dump()["openai_api_key"] == "sk-…9876"
    assert json.loads(settings.model_dump_json())["openai_api_key"] == "sk-…9876"
    assert "verysecret" not in str(settings.model_dump()) + settings.model_dump_json()


def test_a_masked_key_is_refused_instead_of_being_sent_as_a_key() -> None:
    dump = load_settings(environ={"OPENAI_API_KEY": KEY}).model_dump()
    with pytest.raises(ConfigError) as info:
        load_settings(dump, environ={})
    message = str(info.value)
    assert "openai_api_key" in message
    assert "masked" in message and "OPENAI_API_KEY" in message
    assert "verysecret" not in message


def test_a_dump_written_to_a_file_loads_with_the_key_from_the_environment(tmp_path: Path) -> None:
    path = tmp_path / "mastra.json"
    path.write_text(load_settings(environ={"OPENAI_API_KEY": KEY}).model_dump_json())
    settings = load_settings(path, environ={"OPENAI_API_KEY": KEY})
    assert settings.openai_api_key is not None and settings.openai_api_key.reveal() == KEY


_READ_BY_THE_PACKAGE = re.compile(r"\"([A-Z][A-Z0-9_]*_(?:API_KEY|BASE_URL))\"")
_PACKAGE = Path(__file__).resolve().parents[1] / "mastra_lab"


def test_no_key_or_base_url_from_the_shell_reaches_a_test() -> None:
    """Always true in place; run in a child pytest below, with every variable set, it proves the scrubbing."""
    leaked = [
        name
        for name in os.environ
        if name.startswith("MASTRA_") or _READ_BY_THE_PACKAGE.fullmatch(f'"{name}"')
    ]
    assert leaked == []


def test_the_suite_scrubs_every_variable_the_package_reads() -> None:
    names = {m for p in _PACKAGE.rglob("*.py") for m in _READ_BY_THE_PACKAGE.findall(p.read_text("utf-8"))}
    assert {"OPENAI_API_KEY", "ANTHROPIC_BASE_URL", "GROQ_BASE_URL", "MASTRA_COMPAT_API_KEY"} <= names
    env = {**os.environ, **dict.fromkeys(names, "sk-from-the-shell-0123456789"), "MASTRA_LOG_LEVEL": "DEBUG"}
    test = f"{Path(__file__).resolve()}::test_no_key_or_base_url_from_the_shell_reaches_a_test"
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", test],
        cwd=_PACKAGE.parent,
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_postgres_dsn_comes_from_the_environment_and_never_prints() -> None:
    dsn = "postgresql://app:hunter2-very-secret@db.internal:5432/app"
    settings = load_settings(
        {"storage": {"backend": "postgres", "schema_name": "tenant_a"}}, environ={"MASTRA_STORAGE_DSN": dsn}
    )
    assert settings.storage.dsn is not None and settings.storage.dsn.reveal() == dsn
    assert settings.storage.schema_name == "tenant_a"
    assert "hunter2" not in repr(settings) + settings.model_dump_json()


def test_a_bad_dsn_setting_is_reported_without_its_value() -> None:
    with pytest.raises(ConfigError) as info:
        load_settings({"storage": {"backend": "postgres", "dsn": 42}})
    assert "storage.dsn = <secret>" in str(info.value)
