"""Settings: defaults, file, environment, overrides; a bad value names its key."""

from __future__ import annotations

from pathlib import Path

import pytest

from models.settings import ConfigError, load_settings

pytestmark = pytest.mark.unit


def test_defaults_are_embedded_sqlite_and_in_process_store() -> None:
    settings = load_settings(environ={})
    assert settings.database.url.startswith("sqlite")
    assert settings.redis.url == ""
    assert settings.app.timezone == "Asia/Shanghai"
    assert settings.wechat.api_base_url == "https://api.weixin.qq.com"


def test_file_then_environment_then_overrides(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('[app]\nrate_limit_per_minute = 10\n[redis]\nurl = "redis://a"\n')
    environ = {
        "BAOBEI_CONFIG": str(path),
        "BAOBEI_REDIS__URL": "redis://b",
        "BAOBEI_APP__RATE_LIMIT_PER_MINUTE": "20",
    }
    settings = load_settings({"app": {"rate_limit_per_minute": 5}}, environ=environ)
    assert settings.redis.url == "redis://b"
    assert settings.app.rate_limit_per_minute == 5


@pytest.mark.parametrize(
    ("overrides", "environ", "named"),
    [
        ({"app": {"nope": 1}}, {}, "app.nope"),
        ({"nosection": {}}, {}, "nosection"),
        ({}, {"BAOBEI_APP__RATE_LIMIT_PER_MINUTE": "many"}, "app.rate_limit_per_minute"),
        ({"wechat": {"encoding_aes_key": "short"}}, {}, "wechat.encoding_aes_key"),
        ({"app": {"timezone": "Mars/Olympus"}}, {}, "app.timezone"),
        ({"policy": {"local_notice_minutes": -5}}, {}, "policy.local_notice_minutes"),
        ({"scheduler": {"enabled": "perhaps"}}, {}, "scheduler.enabled"),
    ],
)
def test_a_bad_setting_stops_start_up_and_names_the_key(
    overrides: dict, environ: dict[str, str], named: str
) -> None:
    with pytest.raises(ConfigError, match=named.replace(".", r"\.")):
        load_settings(overrides, environ=environ)


def test_a_missing_config_file_named_in_the_environment_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="missing file"):
        load_settings(environ={"BAOBEI_CONFIG": str(tmp_path / "absent.toml")})


def test_the_example_file_is_complete_and_valid() -> None:
    example = Path(__file__).resolve().parents[2] / "config.example.toml"
    settings = load_settings(environ={"BAOBEI_CONFIG": str(example)})
    assert settings.policy.remote_notice_hours == 24
