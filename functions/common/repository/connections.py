"""The real-time connections table (`schema.CONNECTIONS_TABLE`): single-use tickets and each owner's open connections.

A ticket is stored only as the SHA-256 of its value (256 random bits: a fast hash is enough, nothing to guess), with
its owner and expiry; redeeming it is one conditional DeleteItem that returns the deleted item, so of two `$connect`s
with the same ticket exactly one gets the owner, and an expired ticket is refused even before TTL removes it.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DeleteError, PutError, PynamoDBException
from pynamodb.models import Model

from functions.common.repository.errors import CONDITION_FAILED, error_code, raise_domain
from functions.common.repository.schema import CONNECTIONS_TABLE, CONNECTIONS_TTL_ATTRIBUTE

_TICKET_SORT = "ticket"
_CONNECTION_SORT = "connection#"


def ticket_partition(digest: str) -> str:
    return f"ticket#{digest}"


def owner_partition(owner: str) -> str:
    """An owner's connections; the `owner#`/`ticket#` prefixes keep the two kinds apart whatever an owner holds."""
    return f"owner#{owner}"


def connection_sort(connection_id: str) -> str:
    return f"{_CONNECTION_SORT}{connection_id}"


@cache
def connections_model(table_name: str) -> type[Model]:
    """The pynamodb model of the connections table bound to `table_name`."""

    class Meta:
        pass

    Meta.table_name = table_name  # type: ignore[attr-defined]
    Meta.billing_mode = "PAY_PER_REQUEST"  # type: ignore[attr-defined]
    key = CONNECTIONS_TABLE.key
    assert key.sort is not None
    attrs: dict[str, Any] = {
        "Meta": Meta,
        key.partition.name: UnicodeAttribute(hash_key=True),
        key.sort.name: UnicodeAttribute(range_key=True),
        "owner": UnicodeAttribute(),
        "connection_id": UnicodeAttribute(null=True),
        "connected_ms": NumberAttribute(null=True),
        CONNECTIONS_TTL_ATTRIBUTE: NumberAttribute(),
    }
    return type("ConnectionRecord", (Model,), attrs)


class ConnectionRepository:
    """Tickets and connections; every method speaks plain values (owners, connection ids, epoch seconds)."""

    def __init__(self, table_name: str) -> None:
        self._model = connections_model(table_name)

    def create_table(self) -> None:
        """Create the table with its TTL if it does not exist (local server and tests)."""
        if self._model.exists():
            return
        self._model.create_table(wait=True, billing_mode="PAY_PER_REQUEST")
        client = self._model._get_connection().connection.client
        client.update_time_to_live(
            TableName=self._model.Meta.table_name,
            TimeToLiveSpecification={"Enabled": True, "AttributeName": CONNECTIONS_TTL_ATTRIBUTE},
        )

    def put_ticket(self, digest: str, *, owner: str, expires_at: int) -> None:
        """Store a new ticket's digest (never over an existing one: a `Conflict`, which 256 random bits never see)."""
        record = self._model(ticket_partition(digest), _TICKET_SORT, owner=owner, expires_at=expires_at)
        try:
            record.save(condition=self._model.pk.does_not_exist())  # type: ignore[attr-defined]
        except PutError as error:
            raise_domain(error)

    def redeem_ticket(self, digest: str, *, now: int) -> str | None:
        """Consume the ticket and return its owner; None when it is unknown, used already or expired by `now`."""
        model = self._model
        expiry = getattr(model, CONNECTIONS_TTL_ATTRIBUTE)
        try:
            data = model._get_connection().delete_item(
                ticket_partition(digest),
                range_key=_TICKET_SORT,
                condition=model.pk.exists() & (expiry > now),  # type: ignore[attr-defined]
                return_values="ALL_OLD",
            )
        except DeleteError as error:
            if error_code(error) == CONDITION_FAILED:
                return None
            raise_domain(error)
        owner = data.get("Attributes", {}).get("owner", {}).get("S")
        return owner if isinstance(owner, str) else None

    def put_connection(self, owner: str, connection_id: str, *, connected_ms: int, expires_at: int) -> None:
        """Remember an open connection of `owner` until `expires_at` (API Gateway closes it by then)."""
        record = self._model(
            owner_partition(owner),
            connection_sort(connection_id),
            owner=owner,
            connection_id=connection_id,
            connected_ms=connected_ms,
            expires_at=expires_at,
        )
        try:
            record.save()
        except PutError as error:
            raise_domain(error)

    def delete_connection(self, owner: str, connection_id: str) -> None:
        """Forget a connection (deleting one already gone is harmless)."""
        try:
            self._model._get_connection().delete_item(owner_partition(owner), range_key=connection_sort(connection_id))
        except DeleteError as error:
            raise_domain(error)

    def connections_of(self, owner: str, *, now: int) -> list[str]:
        """The ids of `owner`'s connections not expired by `now` (TTL may not have removed them yet)."""
        model = self._model
        try:
            records = model.query(
                owner_partition(owner),
                model.sk.startswith(_CONNECTION_SORT),  # type: ignore[attr-defined]
                filter_condition=getattr(model, CONNECTIONS_TTL_ATTRIBUTE) > now,
            )
            return [record.connection_id for record in records if record.connection_id]
        except PynamoDBException as error:
            raise_domain(error)
