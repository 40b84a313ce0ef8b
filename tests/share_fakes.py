"""Share links in memory (`functions.common.sharing.ShareStore` and `PublicShareStore`), and the helpers the share
tests of every tier use: a settable clock, handler calls with injected collaborators, and the leak checks."""

from __future__ import annotations

from datetime import datetime

from functions.common.errors import Conflict
from functions.common.sharing import MAX_ATTEMPTS, PublicShareStore, ShareRecord, ShareStore


class MemoryShares:
    """Shares by id, links by digest, counters and copies; the same conditions as the table's."""

    def __init__(self) -> None:
        self.shares: dict[str, ShareRecord] = {}
        self.links: dict[str, str] = {}  # token digest -> share id
        self.attempts: dict[str, tuple[int, int]] = {}  # share id -> (window, attempts)
        self.copies: dict[tuple[str, str], str] = {}

    def create_share(self, share: ShareRecord) -> None:
        self.shares[share.id] = share
        self.links[share.token_hash] = share.id

    def get_share(self, share_id: str) -> ShareRecord | None:
        return self.shares.get(share_id)

    def shares_of(self, owner: str) -> list[ShareRecord]:
        return sorted((s for s in self.shares.values() if s.owner == owner), key=lambda s: s.id, reverse=True)

    def update_share(self, old: ShareRecord, new: ShareRecord) -> None:
        current = self.shares[new.id]
        if current.model_copy(update={"views": old.views}) != old:
            raise Conflict("The share changed meanwhile.")
        self.shares[new.id] = new.model_copy(update={"views": current.views})

    def rotate_share(self, old: ShareRecord, new: ShareRecord) -> None:
        del self.links[old.token_hash]
        self.links[new.token_hash] = new.id
        self.update_share(old, new)

    def delete_share(self, share: ShareRecord) -> list[str]:
        del self.shares[share.id]
        del self.links[share.token_hash]
        keys = [key for (share_id, _), key in self.copies.items() if share_id == share.id]
        self.copies = {name: key for name, key in self.copies.items() if name[0] != share.id}
        return keys

    def share_by_token(self, token_hash: str) -> ShareRecord | None:
        share_id = self.links.get(token_hash)
        return None if share_id is None else self.shares.get(share_id)

    def count_view(self, share: ShareRecord) -> bool:
        current = self.shares[share.id]
        if current.max_views is not None and current.views >= current.max_views:
            return False
        self.shares[share.id] = current.model_copy(update={"views": current.views + 1})
        return True

    def count_attempt(self, share: ShareRecord, window: int) -> bool:
        seen_window, attempts = self.attempts.get(share.id, (window, 0))
        attempts = attempts if seen_window == window else 0
        if attempts >= MAX_ATTEMPTS:
            return False
        self.attempts[share.id] = (window, attempts + 1)
        return True

    def copy_key(self, share: ShareRecord, alias: str) -> str | None:
        return self.copies.get((share.id, alias))

    def remember_copy(self, share: ShareRecord, alias: str, key: str) -> None:
        self.copies[(share.id, alias)] = key


class Now:
    """A clock the test moves."""

    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def __call__(self) -> datetime:
        return self.moment


def leaks(text: str, *secrets: str) -> list[str]:
    """Which of `secrets` (asset ids, filenames, subs, …) appear in `text`, as is or in a URL's escaping."""
    from urllib.parse import quote

    return [secret for secret in secrets if secret and (secret in text or quote(secret, safe="") in text)]


def _conforms(shares: MemoryShares) -> None:
    """Never called: mypy checks that the fake keeps both contracts."""
    _: tuple[ShareStore, PublicShareStore] = (shares, shares)


__all__ = ["MemoryShares", "Now", "leaks"]
