"""The command line: keys on first start, refusal without keys off loopback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ottoq.cli import _keys_for, app
from ottoq.settings import Settings


def test_a_key_pair_is_made_once_and_kept(tmp_path: Path) -> None:
    first = _keys_for(Settings(data_dir=tmp_path), "127.0.0.1")
    again = _keys_for(Settings(data_dir=tmp_path), "127.0.0.1")
    assert first.allow_keyless and first.service_key and first.anon_key
    assert (again.anon_key, again.service_key) == (first.anon_key, first.service_key)
    stored = json.loads((tmp_path / "keys.json").read_text())
    assert stored["service_key"] == first.service_key
    assert (tmp_path / "keys.json").stat().st_mode & 0o077 == 0


def test_a_public_address_without_keys_is_refused(tmp_path: Path) -> None:
    import typer

    with pytest.raises(typer.Exit):
        _keys_for(Settings(data_dir=tmp_path), "0.0.0.0")
    keyed = _keys_for(Settings(data_dir=tmp_path, anon_key="a", service_key="s"), "0.0.0.0")
    assert not keyed.allow_keyless


def test_help_lists_the_commands() -> None:
    result = CliRunner().invoke(app, ["--help"])
    for command in ("up", "serve", "worker", "migrate", "seed", "replay"):
        assert command in result.output
