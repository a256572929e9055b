"""The data scope of a request: which chain, which stores, whose customers.

Built once per request from the signed-in staff member's role (yanzhi.org.policy) and passed to
every query entry point (`customers_for(scope)` …). Views and endpoints never filter by hand.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Scope:
    org_id: int
    staff_id: int
    role: str
    # None means the whole chain; otherwise the stores this staff member works in.
    store_ids: tuple[int, ...] | None
    # None means every customer of those stores; otherwise only customers whose responsible
    # consultant is one of these staff (a consultant: themself; a group leader: the group).
    owner_ids: tuple[int, ...] | None
    can_unmask: bool
    # The store the staff member is working in now (chosen at sign-in; None for HQ until picked).
    current_store_id: int | None

    @property
    def chain_wide(self) -> bool:
        return self.store_ids is None

    def covers_store(self, store_id: int | None) -> bool:
        return self.store_ids is None or store_id in self.store_ids
