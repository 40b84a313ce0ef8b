"""`Idempotency-Key`: Powertools idempotency on DynamoDB, keyed on the caller and the key, checked on the body."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from aws_lambda_powertools.utilities.idempotency import (
    BasePersistenceLayer,
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyPersistenceLayerError,
    IdempotencyValidationError,
)

from functions.common.errors import DomainError, TransientError

# A finished key is remembered this long; the same key after that starts a new ingest.
KEY_TTL_SECONDS = 24 * 3600


class IdempotencyKeyReused(DomainError):
    status, code, title = 409, "idempotency_key_reused", "Idempotency key reused"


class IdempotencyInProgress(DomainError):
    status, code, title = 409, "idempotency_in_progress", "Request with this key in progress"


class KeyAlreadyInProgress(Exception):
    """Another request with the same key has not finished yet."""


class Idempotency(Protocol):
    def once(self, *, key: str, body: dict[str, Any], action: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        """Run `action` once per `key`; a replay with the same body returns the first result."""
        ...

    def register_lambda_context(self, context: Any) -> None:
        """Bound in-progress records by this invocation's time, so a crashed request never blocks its key for long."""
        ...


class PowertoolsIdempotency:
    """Powertools' idempotent_function: the key is `key`, the body is validated (a different body is a 409)."""

    def __init__(self, persistence: BasePersistenceLayer) -> None:
        config = IdempotencyConfig(
            event_key_jmespath="key",
            payload_validation_jmespath="body",
            raise_on_no_idempotency_key=True,
            expires_after_seconds=KEY_TTL_SECONDS,
        )

        @idempotent_function(data_keyword_argument="request", persistence_store=persistence, config=config)
        def _run(request: dict[str, Any], action: Callable[[], dict[str, Any]]) -> dict[str, Any]:
            return action()

        self._run = _run
        self._config = config

    def register_lambda_context(self, context: Any) -> None:
        self._config.register_lambda_context(context)

    @classmethod
    def on_table(cls, table_name: str) -> PowertoolsIdempotency:
        return cls(DynamoDBPersistenceLayer(table_name=table_name, key_attr="id"))

    def once(self, *, key: str, body: dict[str, Any], action: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        try:
            result: dict[str, Any] = self._run(request={"key": key, "body": body}, action=action)
        except IdempotencyValidationError as error:
            raise IdempotencyKeyReused("This Idempotency-Key was used with a different request body.") from error
        except IdempotencyAlreadyInProgressError as error:
            raise KeyAlreadyInProgress(key) from error
        except IdempotencyPersistenceLayerError as error:
            raise TransientError(f"idempotency store failed: {error}") from error
        return result
