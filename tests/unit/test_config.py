"""Settings: defaults, file, environment, overrides; a bad value names its key."""

from __future__ import annotations

import tomllib
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
    assert settings.policy.remote_notice_minutes == 1440


@pytest.mark.parametrize(
    ("overrides", "environ", "named"),
    [
        ({"app": {"claim_ttl_seconds": 0}}, {}, "app.claim_ttl_seconds"),
        ({"app": {"dedup_ttl_seconds": 0}}, {}, "app.dedup_ttl_seconds"),
        ({"database": {"pool_size": 0}}, {}, "database.pool_size"),
        ({}, {"BAOBEI_SCHEDULER__AUDIT_SEAL_SECONDS": "0"}, "scheduler.audit_seal_seconds"),
        ({}, {"BAOBEI_SCHEDULER__LEADER_POLL_SECONDS": "0.0"}, "scheduler.leader_poll_seconds"),
    ],
)
def test_a_zero_where_zero_cannot_mean_off_stops_start_up_and_names_the_key(
    overrides: dict, environ: dict[str, str], named: str
) -> None:
    with pytest.raises(ConfigError, match=named.replace(".", r"\.") + ".*0 cannot mean off"):
        load_settings(overrides, environ=environ)


def test_a_zero_switches_off_each_limit_and_timeout_that_may_be_off() -> None:
    settings = load_settings(
        {
            "app": {"rate_limit_per_minute": 0, "retry_wait_seconds": 0},
            "wechat": {
                "api_timeout_seconds": 0,
                "timestamp_tolerance_seconds": 0,
                "max_body_bytes": 0,
            },
            "database": {"statement_timeout_ms": 0},
            "redis": {"socket_timeout_seconds": 0},
            "scheduler": {"audit_settle_seconds": 0},
        },
        environ={},
    )
    assert settings.app.rate_limit is None
    assert settings.wechat.api_timeout is None
    assert settings.wechat.timestamp_tolerance is None
    assert settings.wechat.max_body is None
    assert settings.database.statement_timeout is None
    assert settings.redis.socket_timeout is None
    assert (settings.app.retry_wait_seconds, settings.scheduler.audit_settle_seconds) == (0, 0)


def test_a_limit_written_as_true_is_refused_rather_than_read_as_one() -> None:
    with pytest.raises(ConfigError, match=r"app\.rate_limit_per_minute"):
        load_settings({"app": {"rate_limit_per_minute": True}}, environ={})


def test_the_error_says_where_the_bad_value_was_set(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text("[app]\ndedup_ttl = 60\n")
    with pytest.raises(ConfigError, match=r"app\.dedup_ttl: unknown key \(from .*c\.toml\)"):
        load_settings(environ={"BAOBEI_CONFIG": str(path)})
    with pytest.raises(ConfigError, match=r"BAOBEI_DATABSE__URL"):
        load_settings(environ={"BAOBEI_DATABSE__URL": "postgresql://x"})


def test_settings_cannot_be_changed_once_loaded() -> None:
    settings = load_settings(environ={})
    with pytest.raises(ValueError, match="frozen"):
        settings.app.rate_limit_per_minute = 1  # type: ignore[misc]


def test_the_example_file_documents_every_key() -> None:
    example = Path(__file__).resolve().parents[2] / "config.example.toml"
    documented = tomllib.loads(example.read_text(encoding="utf-8"))
    known = load_settings(environ={}).model_dump()
    assert {section: sorted(values) for section, values in documented.items()} == {
        section: sorted(values) for section, values in known.items()
    }


def test_plaintext_is_refused_in_safe_mode_unless_the_switch_over_key_allows_it() -> None:
    key = "k" * 43
    assert load_settings(environ={}).wechat.plaintext_allowed  # plain mode: nothing else
    safe = load_settings({"wechat": {"encoding_aes_key": key}}, environ={})
    assert not safe.wechat.accept_plaintext and not safe.wechat.plaintext_allowed
    switching = {"wechat": {"encoding_aes_key": key, "accept_plaintext": True}}
    assert load_settings(switching, environ={}).wechat.plaintext_allowed
