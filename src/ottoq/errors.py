"""Typed domain errors; each carries the HTTP status the API answers with."""

from __future__ import annotations


class OttoqError(Exception):
    status_code = 400

    def __init__(self, message: str, **extra: object) -> None:
        super().__init__(message)
        self.message = message
        self.extra = extra


class BadRequest(OttoqError):
    status_code = 400


class NotFound(OttoqError):
    status_code = 404


class Conflict(OttoqError):
    status_code = 409


class Invalid(OttoqError):
    status_code = 422


class IllegalTransition(Conflict):
    """A guarded state change found the row in another state than the one it expected."""

    def __init__(self, entity: str, entity_id: object, current: str | None, target: str) -> None:
        current_text = current or "missing"
        super().__init__(
            f"{entity} {entity_id} is {current_text}; cannot move it to {target}",
            current_state=current,
            target_state=target,
        )
