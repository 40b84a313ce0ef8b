"""Every AWS call a flow makes, with its parameters, and what DynamoDB would bill for it: for `bench/costs.py`.

A `BaseClient._make_api_call` hook (the pattern of `devserver/iam/enforce.py`) sees every call of every client,
pynamodb's included. moto does not report consumed capacity faithfully, so read and write units are computed as
DynamoDB defines them, from the items' sizes before and after each write (read from moto by a client the meter does
not count) and the table's key schema and index projections: a write is ⌈size / 1 KB⌉ units of the larger of the
old and new item, twice in a transaction; each index the item enters, leaves or changes in is one more write of its
projection (two when the item's index key changed: a delete and a put); a read is ⌈size / 4 KB⌉ units, half when
eventually consistent, summed over the items a Query or Scan read.
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from botocore.client import BaseClient

_KB = 1024


def attribute_size(value: dict[str, Any]) -> int:
    """The bytes DynamoDB counts for one attribute value (AttributeValue JSON)."""
    (kind, inner), *_ = value.items()
    if kind == "S":
        return len(inner.encode())
    if kind == "N":
        digits = len(str(inner).strip("-").replace(".", "").lstrip("0")) or 1
        return math.ceil(digits / 2) + 1
    if kind == "B":
        return len(inner) if isinstance(inner, bytes | bytearray) else math.ceil(len(inner) * 3 / 4)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind in ("SS", "NS", "BS"):
        return sum(attribute_size({kind[0]: member}) for member in inner)
    if kind == "L":
        return 3 + sum(1 + attribute_size(member) for member in inner)
    if kind == "M":
        return 3 + sum(1 + len(name.encode()) + attribute_size(member) for name, member in inner.items())
    return 0


def item_size(item: dict[str, Any] | None) -> int:
    """The bytes DynamoDB counts for an item: its attribute names and values."""
    if not item:
        return 0
    return sum(len(name.encode()) + attribute_size(value) for name, value in item.items())


@dataclass(frozen=True)
class IndexShape:
    name: str
    keys: tuple[str, ...]  # partition key first
    projection: str  # ALL, KEYS_ONLY or INCLUDE
    included: tuple[str, ...] = ()


@dataclass(frozen=True)
class TableShape:
    keys: tuple[str, ...]
    indexes: tuple[IndexShape, ...]


@dataclass
class Invocation:
    """One function invocation: its AWS calls and the time it spent outside them."""

    function: str
    phase: str
    wall_seconds: float = 0.0
    cpu_seconds: float = 0.0
    aws_wall_seconds: float = 0.0
    aws_cpu_seconds: float = 0.0
    calls: Counter[str] = field(default_factory=Counter)
    bytes_read: int = 0

    @property
    def own_cpu_seconds(self) -> float:
        return max(0.0, self.cpu_seconds - self.aws_cpu_seconds)


@dataclass
class Meter:
    """Counts by phase: `calls[(service, operation)]`, DynamoDB units, index writes per partition key value."""

    peek: Any  # an uncounted DynamoDB client on the same moto
    phase: str = "setup"
    calls: Counter[tuple[str, str, str]] = field(default_factory=Counter)  # (phase, service, operation)
    read_units: defaultdict[str, float] = field(default_factory=lambda: defaultdict(float))  # phase -> RRU
    write_units: Counter[str] = field(default_factory=Counter)  # phase -> WRU
    table_write_units: Counter[str] = field(default_factory=Counter)  # phase -> WRU of the base table alone
    index_write_units: Counter[tuple[str, str]] = field(default_factory=Counter)  # (phase, index) -> WRU
    # (phase, table or index, partition key value) -> WRU: the hottest key of each index
    partition_writes: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    item_writes: Counter[tuple[str, str, str]] = field(default_factory=Counter)  # (phase, table, key) -> WRU
    stream_records: Counter[tuple[str, str]] = field(default_factory=Counter)  # (phase, table) -> item changes
    invocations: list[Invocation] = field(default_factory=list)
    current: Invocation | None = None
    shapes: dict[str, TableShape] = field(default_factory=dict)
    _local: threading.local = field(default_factory=threading.local)

    # -- tables -------------------------------------------------------------------------------------------------
    def _shape(self, table: str) -> TableShape:
        if table not in self.shapes:
            with self._uncounted():
                described = self.peek.describe_table(TableName=table)["Table"]
            indexes = []
            for index in described.get("GlobalSecondaryIndexes", []) + described.get("LocalSecondaryIndexes", []):
                keys = tuple(part["AttributeName"] for part in index["KeySchema"])
                projection = index.get("Projection", {})
                indexes.append(
                    IndexShape(
                        index["IndexName"],
                        keys,
                        projection.get("ProjectionType", "ALL"),
                        tuple(projection.get("NonKeyAttributes", ())),
                    )
                )
            keys = tuple(part["AttributeName"] for part in described["KeySchema"])
            self.shapes[table] = TableShape(keys, tuple(indexes))
        return self.shapes[table]

    def _get(self, table: str, key: dict[str, Any]) -> dict[str, Any] | None:
        with self._uncounted():
            item: dict[str, Any] | None = self.peek.get_item(TableName=table, Key=key, ConsistentRead=True).get("Item")
        return item

    @contextmanager
    def _uncounted(self) -> Iterator[None]:
        self._local.peeking = True
        try:
            yield
        finally:
            self._local.peeking = False

    # -- units --------------------------------------------------------------------------------------------------
    def _projected(self, shape: TableShape, index: IndexShape, item: dict[str, Any]) -> int:
        if index.projection == "ALL":
            return item_size(item)
        names = set(shape.keys) | set(index.keys) | set(index.included)
        return item_size({name: value for name, value in item.items() if name in names})

    def _charge_write(
        self,
        table: str,
        before: dict[str, Any] | None,
        after: dict[str, Any] | None,
        factor: int,
        key: dict[str, Any],
    ) -> None:
        shape = self._shape(table)
        units = max(1, math.ceil(max(item_size(before), item_size(after)) / _KB)) * factor
        self.write_units[self.phase] += units
        self.table_write_units[self.phase] += units
        self.item_writes[(self.phase, table, json.dumps(key, sort_keys=True))] += units
        some = after or before or {}
        self.partition_writes[(self.phase, table, str(next(iter(some.get(shape.keys[0], {"S": "?"}).values()))))] += (
            units
        )
        if before != after:
            self.stream_records[(self.phase, table)] += 1
        for index in shape.indexes:
            old_in = before is not None and all(name in before for name in index.keys)
            new_in = after is not None and all(name in after for name in index.keys)
            writes: list[tuple[dict[str, Any], int]] = []
            if old_in and new_in:
                assert before is not None and after is not None
                if all(before[name] == after[name] for name in index.keys):
                    old_size, new_size = self._projected(shape, index, before), self._projected(shape, index, after)
                    projected_same = index.projection == "ALL" and before == after
                    if index.projection != "ALL":
                        names = set(shape.keys) | set(index.keys) | set(index.included)
                        projected_same = all(before.get(name) == after.get(name) for name in names)
                    if not projected_same:
                        writes.append((after, max(old_size, new_size)))
                else:
                    writes += [(before, self._projected(shape, index, before))]
                    writes += [(after, self._projected(shape, index, after))]
            elif old_in:
                assert before is not None
                writes.append((before, self._projected(shape, index, before)))
            elif new_in:
                assert after is not None
                writes.append((after, self._projected(shape, index, after)))
            for item, size in writes:
                units = max(1, math.ceil(size / _KB))
                self.write_units[self.phase] += units
                self.index_write_units[(self.phase, index.name)] += units
                partition = str(next(iter(item[index.keys[0]].values())))
                self.partition_writes[(self.phase, index.name, partition)] += units

    def _charge_read(self, sizes: list[int], consistent: bool, factor: int = 1, per_item: bool = True) -> None:
        if per_item:
            units = sum(max(1, math.ceil(size / (4 * _KB))) for size in sizes) or 1
        else:
            units = max(1, math.ceil(sum(sizes) / (4 * _KB)))
        self.read_units[self.phase] += units * (1 if consistent else 0.5) * factor

    def _key_of(self, table: str, item: dict[str, Any]) -> dict[str, Any]:
        return {name: item[name] for name in self._shape(table).keys}

    def _writes(self, operation: str, params: dict[str, Any]) -> list[tuple[str, dict[str, Any], int]]:
        """(table, key, factor) of every item a write touches."""
        if operation == "PutItem":
            return [(params["TableName"], self._key_of(params["TableName"], params["Item"]), 1)]
        if operation in ("UpdateItem", "DeleteItem"):
            return [(params["TableName"], params["Key"], 1)]
        if operation == "TransactWriteItems":
            touched = []
            for entry in params["TransactItems"]:
                (kind, body), *_ = entry.items()
                key = body["Key"] if "Key" in body else self._key_of(body["TableName"], body["Item"])
                touched.append((body["TableName"], key, 2 if kind != "ConditionCheck" else -2))
            return touched
        if operation == "BatchWriteItem":
            touched = []
            for table, requests in params["RequestItems"].items():
                for request in requests:
                    if "PutRequest" in request:
                        touched.append((table, self._key_of(table, request["PutRequest"]["Item"]), 1))
                    else:
                        touched.append((table, request["DeleteRequest"]["Key"], 1))
            return touched
        return []

    # -- the hook -----------------------------------------------------------------------------------------------
    def observe(self, client: Any, operation: str, params: dict[str, Any], call: Any) -> Any:
        if getattr(self._local, "peeking", False):
            return call()
        service = client.meta.service_model.service_name
        self.calls[(self.phase, service, operation)] += 1
        # The meter's own work (its reads of the items, its arithmetic) counts as time inside the call, not the
        # function's.
        started_wall, started_cpu = time.perf_counter(), time.process_time()
        try:
            result = self._metered(service, operation, params, call)
        finally:
            if self.current is not None:
                self.current.aws_wall_seconds += time.perf_counter() - started_wall
                self.current.aws_cpu_seconds += time.process_time() - started_cpu
                self.current.calls[f"{service}.{operation}"] += 1
        if service == "s3" and operation == "GetObject" and self.current is not None:
            self.current.bytes_read += int(result.get("ContentLength", 0))
        return result

    def _metered(self, service: str, operation: str, params: dict[str, Any], call: Any) -> Any:
        touched = self._writes(operation, params) if service == "dynamodb" else []
        before = [self._get(table, key) for table, key, _ in touched]
        try:
            result = call()
        except Exception:
            # A refused condition still costs its write (of the item as it was).
            for (table, key, factor), old in zip(touched, before, strict=True):
                self._charge_write(table, old, old, abs(factor), key)
            raise
        for (table, key, factor), old in zip(touched, before, strict=True):
            if factor < 0:  # a transaction's condition check: read, not written
                self._charge_write(table, old, old, -factor, key)
                continue
            self._charge_write(table, old, self._get(table, key), factor, key)
        if service == "dynamodb":
            self._reads(operation, params, result)
        return result

    def _reads(self, operation: str, params: dict[str, Any], result: dict[str, Any]) -> None:
        if operation == "GetItem":
            self._charge_read([item_size(result.get("Item"))], bool(params.get("ConsistentRead")))
        elif operation in ("Query", "Scan"):
            items = result.get("Items", [])
            sizes = [item_size(item) for item in items]
            scanned, count = int(result.get("ScannedCount", len(items))), len(items)
            if scanned > count:  # filtered out items were read too: at the size of those returned (or 100 B)
                average = sum(sizes) / count if count else 100
                sizes += [int(average)] * (scanned - count)
            self._charge_read(sizes, bool(params.get("ConsistentRead")), per_item=False)
        elif operation == "BatchGetItem":
            for table, items in result.get("Responses", {}).items():
                consistent = bool(params["RequestItems"][table].get("ConsistentRead"))
                self._charge_read([item_size(item) for item in items], consistent)
        elif operation == "TransactGetItems":
            self._charge_read([item_size(entry.get("Item")) for entry in result.get("Responses", [])], True, 2)

    def hottest_item(self, phases: tuple[str, ...], table: str) -> tuple[str, int]:
        """The item of `table` written most (in WRU) in `phases`, and its WRU."""
        totals: Counter[str] = Counter()
        for (phase, written, key), units in self.item_writes.items():
            if phase in phases and written == table:
                totals[key] += units
        key, units = totals.most_common(1)[0]
        return key, units

    @contextmanager
    def invocation(self, function: str) -> Iterator[Invocation]:
        """One invocation of `function`: its own time and its calls."""
        current = Invocation(function, self.phase)
        self.current = current
        started_wall, started_cpu = time.perf_counter(), time.process_time()
        try:
            yield current
        finally:
            current.wall_seconds = time.perf_counter() - started_wall
            current.cpu_seconds = time.process_time() - started_cpu
            self.current = None
            self.invocations.append(current)

    def hottest(self, phase: str) -> dict[str, tuple[str, int, int]]:
        """Per table or index: (hottest partition key value, its WRU, how many key values were written) in `phase`."""
        by_index: dict[str, dict[str, int]] = defaultdict(dict)
        for (written_in, name, partition), units in self.partition_writes.items():
            if written_in == phase:
                by_index[name][partition] = units
        return {
            name: (max(values, key=lambda value: values[value]), max(values.values()), len(values))
            for name, values in by_index.items()
        }


@contextmanager
def metering(meter: Meter) -> Iterator[Meter]:
    """Route every botocore call of this process through `meter` while the block runs."""
    original = BaseClient._make_api_call

    def hooked(self: Any, operation_name: str, api_params: dict[str, Any]) -> Any:
        return meter.observe(self, operation_name, api_params, lambda: original(self, operation_name, api_params))

    BaseClient._make_api_call = hooked  # type: ignore[method-assign]
    try:
        yield meter
    finally:
        BaseClient._make_api_call = original  # type: ignore[method-assign]
