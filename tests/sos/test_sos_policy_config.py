"""The escalation policy in the configuration: a sensible default, old `ladder` files still read, and
one clear line for a mistake."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import ConfigError, SosPolicy, load_settings


def test_the_default_policy_levels() -> None:
    policy = SosPolicy()
    assert [lv.targets for lv in policy.levels] == [["community"], ["oncall", "referent", "backup"], ["trainers"],
                                                   ["resource", "referent"], ["coordinator", "backup"]]
    assert [lv.at for lv in policy.levels] == [0.25, 0.5, 0.75, None, 0.85]
    assert policy.quiet_window is not None and policy.quiet_weekends and policy.loop == 0
    # Fewer pings and rota holes on by default; no backup space unless one is listed.
    assert not policy.handover_when_empty and policy.alert_asked_again and policy.rota_check == "0 10 * * fri"
    assert policy.backup_spaces == [] and policy.backup_when == "absent" and not policy.private


def test_a_misspelt_backup_setting_or_cron_is_a_clear_error() -> None:
    import pytest
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="backup_when"):
        SosPolicy(backup_when="sometimes")
    with pytest.raises(ValidationError, match="cron illisible"):
        SosPolicy(rota_check="friday")


def _write(tmp_path: Path, sos: str) -> Path:
    path = tmp_path / "ticebot.toml"
    path.write_text(f'[[spaces]]\nid = "gfp"\nsos = {sos}\n', encoding="utf-8")
    return path


def test_an_old_ladder_is_read_as_levels(tmp_path: Path) -> None:
    ladder = ('{ delay = "4d", ladder = [{kind = "nudge", at = 0.25}, {kind = "referent", after = "1d"}, '
              '{kind = "trainers", at = 0.75}, {kind = "breach", at = 1.0}] }')
    settings = load_settings(_write(tmp_path, ladder))
    levels = settings.spaces[0].sos.levels
    assert [(lv.targets, lv.at, lv.after) for lv in levels] == [
        (["community"], 0.25, None), (["referent"], None, "1d"), (["trainers"], 0.75, None)]
    # Stored as JSON in the database and read back by every instance: the same policy.
    again = SosPolicy.model_validate_json(settings.spaces[0].sos.model_dump_json())
    assert again.levels == levels


def test_a_configured_policy(tmp_path: Path) -> None:
    sos = ('{ delay = "4d", quiet_hours = "20:00-07:30", quiet_weekends = false, loop = 1, '
           'oncall = ["@fabienne:example.org", "@gilles:example.org"], oncall_from = "2026-09-07", '
           'levels = [{targets = ["oncall"], at = 0.4, ack = "6h"}, {targets = ["coordinator"], at = 0.8}] }')
    policy = load_settings(_write(tmp_path, sos)).spaces[0].sos
    assert [lv.kind for lv in policy.levels] == ["sos.oncall", "sos.coordinator"]
    assert policy.quiet_window is not None and str(policy.quiet_window[1]) == "07:30:00"


@pytest.mark.parametrize(("sos", "says"), [
    ('{ ladder = [{kind = "escalate", at = 0.5}] }', "levels = [{targets"),
    ('{ levels = [{targets = ["everyone"]}] }', "spaces.0.sos.levels.0.targets.0"),
    ('{ levels = [{targets = ["oncall"], ack = "huit heures"}] }', "exemples : 90s, 5min, 6h"),
    ('{ quiet_hours = "la nuit" }', 'exemple : "21:00-08:00"'),
    ('{ oncall_from = "2026-09-09" }', "n'est pas un lundi"),
    ('{ ladder = [], levels = [] }', "gardez seulement levels"),
])
def test_a_mistake_is_one_line_naming_the_key_and_what_to_write(tmp_path: Path, sos: str, says: str) -> None:
    with pytest.raises(ConfigError) as error:
        load_settings(_write(tmp_path, sos))
    message = str(error.value)
    assert "\n" not in message and "ticebot.toml" in message and says in message
