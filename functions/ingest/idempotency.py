"""`Idempotency-Key`: Powertools idempotency on DynamoDB, keyed on the caller and the key, checked on the body."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from functions.common.errors import IdempotencyKeyReused
from functions.common.failures import PermanentError, TransientError, is_retryable
from functions.system import IDEMPOTENCY_KEY_ATTRIBUTE

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.idempotency import BasePersistenceLayer, IdempotencyConfig

# A finished key is remembered this long; the same key after that starts a new ingest.
KEY_TTL_SECONDS = 24 * 3600


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
    """Powertools' idempotent_function: the key is `key`, the body is validated (a different body is a 409).

    Built on the first request that sends an `Idempotency-Key`: requests without one never need Powertools'
    idempotency package, which loads boto3 and its DynamoDB layer (~100 ms of a cold start).
    """

    def __init__(self, persistence: Callable[[], BasePersistenceLayer]) -> None:
        self._persistence = persistence
        self._context: Any = None
        self._config: IdempotencyConfig | None = None
        self._run: Callable[..., dict[str, Any]] | None = None

    def register_lambda_context(self, context: Any) -> None:
        self._context = context
        if self._config is not None:
            self._config.register_lambda_context(context)

    @classmethod
    def on_table(cls, table_name: str) -> PowertoolsIdempotency:
        def persistence() -> BasePersistenceLayer:
            from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

            return DynamoDBPersistenceLayer(table_name=table_name, key_attr=IDEMPOTENCY_KEY_ATTRIBUTE)

        return cls(persistence)

    def _idempotent_run(self) -> Callable[..., dict[str, Any]]:
        if self._run is None:
            from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig, idempotent_function

            config = IdempotencyConfig(
                event_key_jmespath="key",
                payload_validation_jmespath="body",
                raise_on_no_idempotency_key=True,
                expires_after_seconds=KEY_TTL_SECONDS,
            )
            if self._context is not None:
                config.register_lambda_context(self._context)

            @idempotent_function(data_keyword_argument="request", persistence_store=self._persistence(), config=config)
            def run(request: dict[str, Any], action: Callable[[], dict[str, Any]]) -> dict[str, Any]:
                return action()

            self._config, self._run = config, run
        return self._run

    def once(self, *, key: str, body: dict[str, Any], action: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        from aws_lambda_powertools.utilities.idempotency.exceptions import (
            IdempotencyAlreadyInProgressError,
            IdempotencyPersistenceLayerError,
            IdempotencyValidationError,
        )

        try:
            result: dict[str, Any] = self._idempotent_run()(request={"key": key, "body": body}, action=action)
        except IdempotencyValidationError as error:
            raise IdempotencyKeyReused("This Idempotency-Key was used with a different request body.") from error
        except IdempotencyAlreadyInProgressError as error:
            raise KeyAlreadyInProgress(key) from error
        except IdempotencyPersistenceLayerError as error:
            # Powertools wraps whatever the store raised; a refusal no retry can fix must not read as "busy".
            cause = error.__cause__
            code = getattr(cause, "response", {}).get("Error", {}).get("Code") if cause is not None else None
            if not is_retryable(code):
                raise PermanentError(f"idempotency store refused the request ({code}): {error}") from error
            raise TransientError(f"idempotency store failed: {error}") from error
        return result
