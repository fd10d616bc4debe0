"""Every setting is documented, typed and read the same way by pages and CLI."""
import pytest

from intel import settings, store


def test_every_setting_has_help_and_a_typed_default():
    assert {"map_resolution", "hotspot_k", "significance", "border_zone_km", "marking", "data_path"} <= set(settings.SETTINGS)
    for s in settings.SETTINGS.values():
        assert s.help and s.help.endswith("."), s.name
        assert s.default is not None, s.name


def test_precedence_env_store_default(tmp_path, monkeypatch):
    con = store.connect(tmp_path / "s.duckdb")
    assert settings.get("border_zone_km", con) == 50.0
    settings.put(con, "border_zone_km", 20.0, user="tester")
    assert settings.get("border_zone_km", con) == 20.0
    monkeypatch.setenv("INTEL_BORDER_ZONE_KM", "80")
    assert settings.get("border_zone_km", con) == 80.0
    monkeypatch.setenv("INTEL_MARKING", "SECRET//REL TO BFA")
    assert settings.get("marking", con) == "SECRET//REL TO BFA"
    # the change is in the audit log with its user
    row = con.execute("SELECT user_name, action FROM audit WHERE action = 'settings.change'").fetchone()
    assert row == ("tester", "settings.change")


def test_unknown_setting_is_refused(tmp_path):
    con = store.connect(tmp_path / "s.duckdb")
    with pytest.raises(KeyError):
        settings.get("no_such_setting")
    with pytest.raises(KeyError):
        settings.put(con, "no_such_setting", 1)
