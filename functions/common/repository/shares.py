"""Share links in the asset table, under partitions no owner's can be: each starts with `SYSTEM_PARTITION` (256
bytes; an owner's partition is its sub, at most 255), written `~` below:

- `~share#{id}` / `share`: the share (JSON `doc`) with its counters (`views`, `attempts` in `attempt_window`);
- `~share#{id}` / `copy#{alias}`: the random key of a download's copy;
- `~token#{sha256 of the link token}` / `token`: which share a link opens (read strongly consistent: a revoke or a
  rotate is at once);
- `~shares#{owner}` / `{id}`: the owner's list of its shares.

No share item is in an owner's partition, so IAM can tell them from assets by `dynamodb:LeadingKeys`: the shares
function writes only under these three prefixes, the public function only under `~share#…`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import cache
from typing import Any

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import PynamoDBException, TransactWriteError, UpdateError
from pynamodb.models import Model

from functions.common.identity import OWNER_SHARES_PREFIX, SHARE_PREFIX, TOKEN_PREFIX, encode_owner
from functions.common.repository.errors import CONDITION_FAILED, error_code, raise_domain
from functions.common.sharing import MAX_ATTEMPTS, ShareRecord

SHARE_SORT, TOKEN_SORT, COPY_SORT = "share", "token", "copy#"


def share_partition(share_id: str) -> str:
    return f"{SHARE_PREFIX}{share_id}"


def token_partition(token_hash: str) -> str:
    return f"{TOKEN_PREFIX}{token_hash}"


def owner_shares_partition(owner: str) -> str:
    return f"{OWNER_SHARES_PREFIX}{encode_owner(owner)}"


@cache
def share_model(table_name: str) -> type[Model]:
    """The share items' pynamodb model on the asset table (only the attributes they use)."""

    class Meta:
        pass

    Meta.table_name = table_name  # type: ignore[attr-defined]
    attrs: dict[str, Any] = {
        "Meta": Meta,
        "owner": UnicodeAttribute(hash_key=True),
        "asset_id": UnicodeAttribute(range_key=True),
        "doc": UnicodeAttribute(null=True),
        "share_id": UnicodeAttribute(null=True),
        "views": NumberAttribute(null=True),
        "max_views": NumberAttribute(null=True),
        "attempts": NumberAttribute(null=True),
        "attempt_window": NumberAttribute(null=True),
        "copy_key": UnicodeAttribute(null=True),
    }
    return type("ShareItem", (Model,), attrs)


_COUNTERS = ("views",)


def _doc(share: ShareRecord) -> str:
    return share.model_dump_json(exclude=set(_COUNTERS))


class ShareRepository:
    """Shares, their links, counters and copies; every method speaks `ShareRecord`."""

    def __init__(self, table_name: str) -> None:
        self._model = share_model(table_name)

    def _record(self, share: ShareRecord) -> Model:
        return self._model(
            share_partition(share.id), SHARE_SORT, doc=_doc(share), views=share.views, max_views=share.max_views
        )

    def _transact(
        self, *, puts: Sequence[Model] = (), deletes: Sequence[Model] = (), updates: Sequence[Any] = ()
    ) -> None:
        connection = self._model._get_connection()
        try:
            connection.connection.transact_write_items(
                condition_check_items=[],
                put_items=[item.get_save_kwargs_from_instance() for item in puts],
                delete_items=[item.get_delete_kwargs_from_instance() for item in deletes],
                update_items=list(updates),
            )
        except TransactWriteError as error:
            raise_domain(error)

    def create_share(self, share: ShareRecord) -> None:
        model = self._model
        self._transact(
            puts=[
                self._record(share),
                model(token_partition(share.token_hash), TOKEN_SORT, share_id=share.id),
                model(owner_shares_partition(share.owner), share.id, share_id=share.id),
            ]
        )

    def get_share(self, share_id: str) -> ShareRecord | None:
        try:
            item = self._model.get(share_partition(share_id), SHARE_SORT, consistent_read=True)
        except self._model.DoesNotExist:
            return None
        except PynamoDBException as error:
            raise_domain(error)
        return _share(item)

    def shares_of(self, owner: str) -> list[ShareRecord]:
        model = self._model
        try:
            ids = [item.share_id for item in model.query(owner_shares_partition(owner))]
            keys = [(share_partition(share_id), SHARE_SORT) for share_id in ids]
            shares = [_share(item) for item in model.batch_get(keys)]
        except PynamoDBException as error:
            raise_domain(error)
        return sorted(shares, key=lambda share: share.id, reverse=True)

    def update_share(self, old: ShareRecord, new: ShareRecord) -> None:
        """Write the share's options (never its counters) unless it changed since `old` was read (`Conflict`)."""
        model = self._model
        record = model(share_partition(new.id), SHARE_SORT)
        try:
            record.update(
                actions=[model.doc.set(_doc(new)), _set_or_remove(model.max_views, new.max_views)],
                condition=model.doc == _doc(old),  # type: ignore[comparison-overlap]
            )
        except UpdateError as error:
            raise_domain(error)

    def rotate_share(self, old: ShareRecord, new: ShareRecord) -> None:
        """The new link replaces the old one at once, unless the share changed its link meanwhile (`Conflict`)."""
        model = self._model
        connection = model._get_connection()
        update = connection.get_operation_kwargs(
            share_partition(new.id),
            range_key=SHARE_SORT,
            actions=[model.doc.set(_doc(new))],
            condition=model.doc == _doc(old),  # type: ignore[comparison-overlap]
        )
        self._transact(
            puts=[model(token_partition(new.token_hash), TOKEN_SORT, share_id=new.id)],
            deletes=[model(token_partition(old.token_hash), TOKEN_SORT)],
            updates=[update],
        )

    def delete_share(self, share: ShareRecord) -> list[str]:
        """Delete the share and its link at once, then its copies' items; the copies' keys, for the caller to delete."""
        model = self._model
        try:
            items = list(model.query(share_partition(share.id)))
        except PynamoDBException as error:
            raise_domain(error)
        self._transact(
            deletes=[
                model(share_partition(share.id), SHARE_SORT),
                model(token_partition(share.token_hash), TOKEN_SORT),
                model(owner_shares_partition(share.owner), share.id),
            ]
        )
        # Revoked: nothing reads the copies' items any more; one DeleteItem each (as many as items were downloaded).
        copies = [item for item in items if item.asset_id != SHARE_SORT]
        try:
            for item in copies:
                item.delete()
        except PynamoDBException as error:
            raise_domain(error)
        return [str(item.copy_key) for item in copies if item.copy_key]

    def share_by_token(self, token_hash: str) -> ShareRecord | None:
        try:
            pointer = self._model.get(token_partition(token_hash), TOKEN_SORT, consistent_read=True)
        except self._model.DoesNotExist:
            return None
        except PynamoDBException as error:
            raise_domain(error)
        share = self.get_share(pointer.share_id)
        return share if share is not None and share.token_hash == token_hash else None

    def count_view(self, share: ShareRecord) -> bool:
        """One more view, unless that would pass `maxViews` (then False)."""
        model = self._model
        condition = model.asset_id.exists()
        if share.max_views is not None:
            condition &= model.views < share.max_views  # type: ignore[operator]
        return self._conditional(share.id, [model.views.add(1)], condition)

    def count_attempt(self, share: ShareRecord, window: int) -> bool:
        """Count an unlock attempt in this window; False when the window already holds `MAX_ATTEMPTS`."""
        model = self._model
        same = (model.attempt_window == window) & (model.attempts < MAX_ATTEMPTS)  # type: ignore[operator]
        if self._conditional(share.id, [model.attempts.add(1)], model.asset_id.exists() & same):
            return True
        fresh = model.asset_id.exists() & (model.attempt_window.does_not_exist() | (model.attempt_window != window))
        return self._conditional(share.id, [model.attempt_window.set(window), model.attempts.set(1)], fresh)

    def _conditional(self, share_id: str, actions: list[Any], condition: Any) -> bool:
        try:
            self._model(share_partition(share_id), SHARE_SORT).update(actions=actions, condition=condition)
        except UpdateError as error:
            if error_code(error) == CONDITION_FAILED:
                return False
            raise_domain(error)
        return True

    def copy_key(self, share: ShareRecord, alias: str) -> str | None:
        try:
            item = self._model.get(share_partition(share.id), f"{COPY_SORT}{alias}")
        except self._model.DoesNotExist:
            return None
        except PynamoDBException as error:
            raise_domain(error)
        return str(item.copy_key)

    def remember_copy(self, share: ShareRecord, alias: str, key: str) -> None:
        try:
            self._model(share_partition(share.id), f"{COPY_SORT}{alias}", copy_key=key).save()
        except PynamoDBException as error:
            raise_domain(error)


def _set_or_remove(attribute: Any, value: int | None) -> Any:
    return attribute.remove() if value is None else attribute.set(value)


def _share(item: Model) -> ShareRecord:
    data = json.loads(item.doc)
    data["views"] = int(item.views or 0)
    return ShareRecord.model_validate(data)
