"""Which model is in service: the one named (BSR_MODEL), else the active registered version, else the newest
shipped model. The bot loads it and the promotion gate judges against it, so both ask this one function."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from solver import ModelNotFoundError
from solver.solver import ModelInService, model_in_service, resolve_model
from storage import ModelVersion

REGISTERED_AT = datetime(2026, 11, 20, tzinfo=UTC)


def version(name: str, path: Path, active: bool = False) -> ModelVersion:
    return ModelVersion(name, REGISTERED_AT, str(path), {}, active=active)


@pytest.fixture
def versions(tmp_path: Path) -> list[ModelVersion]:
    for name in ("first", "second"):
        (tmp_path / f"{name}-file.keras").write_bytes(b"")
    return [
        version("first", tmp_path / "first-file.keras", active=True),
        version("second", tmp_path / "second-file.keras"),
    ]


def test_with_nothing_named_the_active_version_serves(versions: list[ModelVersion], tmp_path: Path) -> None:
    assert model_in_service("", versions) == ModelInService("first", tmp_path / "first-file.keras")


def test_with_no_version_active_the_newest_shipped_model_serves(versions: list[ModelVersion]) -> None:
    shipped = resolve_model(None)
    inactive = [version(item.name, Path(item.path)) for item in versions]
    assert model_in_service("", inactive) == ModelInService(shipped.stem, shipped)
    assert model_in_service("", []) == ModelInService(shipped.stem, shipped)


def test_a_named_model_wins_by_registered_name_file_or_shipped_name(
    versions: list[ModelVersion], tmp_path: Path
) -> None:
    assert model_in_service("second", versions) == ModelInService("second", tmp_path / "second-file.keras")
    named_file = tmp_path / "first-file.keras"
    assert model_in_service(str(named_file), versions) == ModelInService("first-file", named_file)
    shipped = resolve_model(None)
    assert model_in_service(shipped.stem, versions) == ModelInService(shipped.stem, shipped)


def test_a_named_model_that_is_nowhere_is_an_error_not_a_fallback(versions: list[ModelVersion]) -> None:
    with pytest.raises(ModelNotFoundError, match="no model at 'nowhere'"):
        model_in_service("nowhere", versions)


def test_with_nothing_named_active_or_shipped_none_serves(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr("solver.solver.MODELS_DIR", tmp_path / "no-models")
    assert model_in_service("", []) is None
