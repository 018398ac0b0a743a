"""Model ids to models: built-ins, ``test``, registered factories and entry-point plugins."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from mastra_lab.config import load_settings
from mastra_lab.errors import ConfigError
from mastra_lab.llm import (
    Model,
    ProviderStatus,
    get_model,
    list_providers,
    provider_status,
    register_provider,
    registry,
)
from mastra_lab.llm.anthropic import AnthropicModel
from mastra_lab.llm.compat import CompatModel
from mastra_lab.llm.groq import GroqModel
from mastra_lab.llm.openai import OpenAIModel
from mastra_lab.llm.testing import TestModel


@pytest.fixture(autouse=True)
def _reset_registry() -> Iterator[None]:
    saved = dict(registry._registered)
    loaded = registry._entry_points_loaded
    yield
    registry._registered.clear()
    registry._registered.update(saved)
    registry._entry_points_loaded = loaded


@pytest.mark.parametrize(
    ("model_id", "cls"),
    [
        ("openai:gpt-4o-mini", OpenAIModel),
        ("anthropic:claude-3-5-haiku-latest", AnthropicModel),
        ("groq:llama-3.3-70b-versatile", GroqModel),
        ("compat:llama3.2", CompatModel),
    ],
)
def test_builtin_ids_build_their_provider_without_a_key(model_id: str, cls: type[Model]) -> None:
    model = get_model(model_id)
    assert type(model) is cls
    assert model.id == model_id


def test_model_name_may_contain_colons() -> None:
    assert get_model("compat:qwen2.5:7b").model_name == "qwen2.5:7b"


def test_constructor_arguments_are_passed_through() -> None:
    model = get_model("compat:llama3.2", base_url="http://127.0.0.1:9/v1", max_retries=5)
    assert model.base_url == "http://127.0.0.1:9/v1"  # type: ignore[attr-defined]
    assert model._client().max_retries == 5  # type: ignore[attr-defined]


def test_a_model_instance_is_returned_unchanged() -> None:
    model = OpenAIModel("gpt-4o")
    assert get_model(model) is model


def test_unknown_provider_lists_the_known_ones() -> None:
    with pytest.raises(ConfigError) as info:
        get_model("openia:gpt-4o")
    message = info.value.message
    assert "'openia'" in message
    for name in ("anthropic", "compat", "groq", "openai", "test"):
        assert name in message
    assert info.value.code == "CONFIG_UNKNOWN_PROVIDER"


@pytest.mark.parametrize("bad", ["openai", "openai:", 42])
def test_ids_without_a_model_name_are_rejected(bad: object) -> None:
    with pytest.raises(ConfigError, match=r"openai|model id"):
        get_model(bad)  # type: ignore[arg-type]


def test_test_id_gives_a_test_model() -> None:
    assert isinstance(get_model("test"), TestModel)
    assert get_model("test", text="hi").text == "hi"  # type: ignore[attr-defined]
    assert isinstance(get_model("test:anything"), TestModel)


def test_the_test_provider_is_registered_like_the_others() -> None:
    assert registry._BUILTIN["test"] == "mastra_lab.llm.testing:make_test_model"
    assert "test" in list_providers()


def test_sending_a_request_never_imports_the_testing_module() -> None:
    code = (
        "import sys\n"
        "from mastra_lab.errors import ProviderUnavailableError\n"
        "from mastra_lab.llm import Message, get_model\n"
        "model = get_model('openai:m', api_key='sk-x', base_url='http://127.0.0.1:9/v1', max_retries=0)\n"
        "try:\n"
        "    model.generate_sync([Message.user('hi')])\n"
        "except ProviderUnavailableError:\n"
        "    pass\n"
        "print('mastra_lab.llm.testing' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


class _EchoModel(OpenAIModel):
    provider = "echo"


def test_register_provider_adds_a_prefix() -> None:
    register_provider("echo", lambda name, **kw: _EchoModel(name, **kw))
    model = get_model("echo:v1", base_url="http://x")
    assert type(model) is _EchoModel
    assert model.id == "echo:v1"
    assert "echo" in list_providers()


@pytest.mark.parametrize("name", ["", "a:b", "has space"])
def test_register_provider_rejects_bad_names(name: str) -> None:
    with pytest.raises(ConfigError):
        register_provider(name, OpenAIModel)


def test_entry_point_plugins_are_discovered(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "acme_llm.py").write_text(
        "from mastra_lab.llm.compat import CompatModel\n"
        "class AcmeModel(CompatModel):\n"
        "    provider = 'acme'\n"
        "def make(name, **kwargs):\n"
        "    return AcmeModel(name, **kwargs)\n"
    )
    dist = tmp_path / "acme_llm-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-llm\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[mastra_lab.providers]\nacme = acme_llm:make\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(registry, "_entry_points_loaded", False)
    model = get_model("acme:big-model")
    assert type(model).__name__ == "AcmeModel"
    assert model.id == "acme:big-model"
    assert "acme" in list_providers()
    sys.modules.pop("acme_llm", None)


def test_a_broken_plugin_fails_with_a_config_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    dist = tmp_path / "broken_llm-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: broken-llm\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[mastra_lab.providers]\nbroken = not_a_module_xyz:make\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(registry, "_entry_points_loaded", False)
    with pytest.raises(ConfigError, match="broken"):
        get_model("broken:m")


# ------------------------------------------------------------------------------------- provider_status

SECRET = "sk-status-0123456789abcdefWXYZ"


def _by_name(statuses: list[ProviderStatus]) -> dict[str, ProviderStatus]:
    return {s.name: s for s in statuses}


def test_provider_status_names_each_key_variable_and_whether_it_is_set() -> None:
    status = _by_name(provider_status(environ={"OPENAI_API_KEY": SECRET}))

    assert set(status) == set(list_providers())
    assert status["openai"] == ProviderStatus(
        "openai",
        True,
        "key set ($OPENAI_API_KEY)",
        key_env="OPENAI_API_KEY",
        key_set=True,
        base_url_env="OPENAI_BASE_URL",
        base_url="https://api.openai.com/v1",
        example="openai:gpt-4o-mini",
    )
    assert (status["anthropic"].usable, status["anthropic"].note) == (False, "ANTHROPIC_API_KEY is not set")
    assert (status["groq"].key_env, status["groq"].key_set) == ("GROQ_API_KEY", False)
    assert (status["compat"].usable, status["compat"].note) == (True, "no key needed")
    assert (status["test"].usable, status["test"].key_env) == (True, None)


def test_provider_status_keys_come_from_the_class_attributes_the_models_read() -> None:
    status = _by_name(provider_status(environ={}))
    for cls in (OpenAIModel, AnthropicModel, GroqModel, CompatModel):
        assert (status[cls.provider].key_env, status[cls.provider].base_url_env) == (
            cls.api_key_env,
            cls.base_url_env,
        )


def test_provider_status_never_contains_the_key() -> None:
    statuses = provider_status(environ={name: SECRET for name in ("OPENAI_API_KEY", "GROQ_API_KEY")})
    shown = repr(statuses) + str([vars(s) for s in statuses])
    assert SECRET not in shown and SECRET[-4:] not in shown and SECRET[:8] not in shown


def test_an_empty_key_variable_counts_as_unset_as_the_models_treat_it() -> None:
    assert _by_name(provider_status(environ={"OPENAI_API_KEY": ""}))["openai"].usable is False


def test_a_key_in_the_settings_makes_the_provider_usable() -> None:
    settings = load_settings({"anthropic_api_key": SECRET}, environ={})
    anthropic = _by_name(provider_status(settings, environ={}))["anthropic"]
    assert (anthropic.usable, anthropic.key_set, anthropic.note) == (True, True, "key set (configuration)")


def test_provider_status_shows_base_urls_without_credentials_or_query() -> None:
    env = {"OPENAI_BASE_URL": "https://user:pw@proxy.example:8443/v1?api-key=abc"}
    assert _by_name(provider_status(environ=env))["openai"].base_url == "https://proxy.example:8443/v1"


def test_registered_model_classes_are_read_and_plain_factories_are_unknown() -> None:
    class KeyedModel(OpenAIModel):
        provider = "keyed"
        api_key_env = "KEYED_API_KEY"

    register_provider("keyed", KeyedModel)
    register_provider("custom", lambda name, **kw: TestModel())
    status = _by_name(provider_status(environ={}))

    assert (status["keyed"].usable, status["keyed"].note) == (False, "KEYED_API_KEY is not set")
    assert status["custom"].usable is None and "plugin" in status["custom"].note
    assert status["custom"].example == "custom:MODEL"
