"""The Store's model versions: registering, activating and rolling back the one the solver loads.

At most one is active (a partial unique index); activations lock every version row."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from os import PathLike

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from storage.base import StoreBase, utc_now
from storage.errors import StorageError, UnknownRecordError
from storage.models import (
    ModelVersionRow,
)
from storage.records import (
    ModelVersion,
)


class ModelVersions(StoreBase):
    """The Store's model versions (see storage.store.Store)."""

    def register_model_version(
        self,
        name: str,
        path: str | PathLike[str],
        metrics: Mapping[str, float] | None = None,
        created_at: datetime | None = None,
    ) -> ModelVersion:
        """Adds a model version (inactive). Registering the same name, path and figures again is a no-op."""
        if not name.strip():
            raise StorageError("a model version needs a name, e.g. the date and time it was trained")
        figures = {str(key): float(value) for key, value in (metrics or {}).items()}
        with self._writing() as session:
            row = self._model_version_row(session, name)
            if row is not None:
                if row.path == str(path) and row.metrics == figures:
                    return _model_version(row)
                raise StorageError(
                    f"model version '{name}' is already registered with other files or figures; "
                    "register the new model under a new name"
                )
            row = ModelVersionRow(
                name=name, created_at=created_at or utc_now(), path=str(path), metrics=figures, active=False
            )
            session.add(row)
            session.flush()
            return _model_version(row)

    def activate_model_version(self, name: str) -> ModelVersion:
        """Makes `name` the one active model version, the one the solver should load."""
        with self._writing() as session:
            # Locking every version row serializes concurrent activations (PostgreSQL).
            names = list(session.scalars(select(ModelVersionRow.name).with_for_update()))
            row = self._model_version_row(session, name)
            if row is None:
                known = ", ".join(sorted(names)) or "none"
                raise UnknownRecordError(f"no model version '{name}' is registered (registered: {known})")
            session.execute(update(ModelVersionRow).where(ModelVersionRow.active).values(active=False))
            session.execute(
                update(ModelVersionRow)
                .where(ModelVersionRow.id == row.id)
                .values(active=True, activated_at=utc_now(), rolled_back_at=None)
            )
            session.refresh(row)
            return _model_version(row)

    def roll_back_model_version(self) -> ModelVersion:
        """Takes the active version out of service and activates the one active before it; returns that one.

        Rolled-back versions are passed over, so rolling back again goes one further step back."""
        with self._writing() as session:
            rows = list(session.scalars(select(ModelVersionRow).with_for_update()))
            current = next((row for row in rows if row.active), None)
            if current is None:
                raise StorageError("no model version is active, so there is nothing to roll back")
            earlier = [
                row
                for row in rows
                if row is not current and row.activated_at is not None and row.rolled_back_at is None
            ]
            if not earlier:
                raise StorageError(f"'{current.name}' is the only version ever active; promote another to replace it")
            previous = max(earlier, key=lambda row: (row.activated_at, row.id))
            now = utc_now()
            session.execute(
                update(ModelVersionRow).where(ModelVersionRow.id == current.id).values(active=False, rolled_back_at=now)
            )
            session.execute(
                update(ModelVersionRow).where(ModelVersionRow.id == previous.id).values(active=True, activated_at=now)
            )
            session.refresh(previous)
            return _model_version(previous)

    def active_model_version(self) -> ModelVersion | None:
        with self._reading() as session:
            row = session.scalars(select(ModelVersionRow).where(ModelVersionRow.active)).one_or_none()
            return None if row is None else _model_version(row)

    def list_model_versions(self) -> list[ModelVersion]:
        """Every registered model version, oldest first."""
        with self._reading() as session:
            rows = session.scalars(select(ModelVersionRow).order_by(ModelVersionRow.created_at, ModelVersionRow.id))
            return [_model_version(row) for row in rows]

    @staticmethod
    def _model_version_row(session: Session, name: str) -> ModelVersionRow | None:
        return session.scalars(select(ModelVersionRow).where(ModelVersionRow.name == name)).one_or_none()


def _model_version(row: ModelVersionRow) -> ModelVersion:
    return ModelVersion(
        row.name,
        row.created_at,
        row.path,
        dict(row.metrics),
        row.active,
        row.activated_at,
        row.rolled_back_at,
    )
