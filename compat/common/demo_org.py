"""What the demo organisation of `attest serve --demo` holds, read from the same generator.

`attest serve --demo --demo-identities 200` loads `attest demo-data --identities 200 --seed 2026`
(the seed is `DEMO_SEED` in crates/attest/src/commands/serve.rs). The suites write that bundle
themselves and read it, so that they know, independently of the server, which review items a
campaign must hold: CONTRACTS.md "Meaning of the data in a campaign" says an assignment is one
review item, held by its `identityId` or by the identity of its `accountId`. The fixture checks
the bundle against the server's own warehouse counts before any test relies on it.
"""

from __future__ import annotations

import csv
import subprocess
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterable, List, Set, Tuple

#: `DEMO_SEED` of crates/attest/src/commands/serve.rs.
DEMO_SEED = 2026

#: SailPoint's names of the assignable access kinds (they are the bundle's `accessType`s).
ACCESS_TYPES = ("ENTITLEMENT", "ACCESS_PROFILE", "ROLE")


@dataclass(frozen=True)
class Assignment:
    """One row of assignments.csv, with its holder resolved."""

    holder: str
    access_type: str
    access_id: str
    origin: str


class DemoOrg:
    """The generated organisation, as CSV rows."""

    def __init__(self, bundle: Path) -> None:
        self.bundle = bundle
        self.identities: Dict[str, Dict[str, str]] = {
            r["id"]: r for r in self._rows("identities.csv")
        }
        accounts = {r["id"]: r for r in self._rows("accounts.csv")}
        self.assignments: List[Assignment] = []
        self.held: Dict[str, List[Assignment]] = defaultdict(list)
        for r in self._rows("assignments.csv"):
            holder = r["identityId"] or accounts[r["accountId"]]["identityId"]
            if not holder:
                continue  # held by an uncorrelated account: no identity campaign covers it
            a = Assignment(holder, r["accessType"], r["accessId"], r["origin"])
            self.assignments.append(a)
            self.held[holder].append(a)
        self.permissions: Dict[str, List[Tuple[str, List[str]]]] = defaultdict(list)
        for r in self._rows("permissions.csv"):
            self.permissions[r["entitlementId"]].append((r["target"], r["rights"].split(";")))
        self.reports: Dict[str, List[str]] = defaultdict(list)
        for i, r in sorted(self.identities.items()):
            if r["managerId"]:
                self.reports[r["managerId"]].append(i)
        self.row_counts = {
            "identities": len(self.identities),
            "accounts": len(accounts),
            "assignments": sum(1 for _ in self._rows("assignments.csv")),
            "permissions": sum(1 for _ in self._rows("permissions.csv")),
        }

    @classmethod
    def generate(cls, attest_bin: str, folder: Path, identities: int, env: Dict[str, str]) -> "DemoOrg":
        out = subprocess.run(
            [attest_bin, "--log", "warn", "demo-data", str(folder), "--identities",
             str(identities), "--seed", str(DEMO_SEED)],
            env=env, capture_output=True, text=True, timeout=120,
        )
        assert out.returncode == 0, f"attest demo-data failed ({out.returncode}): {out.stderr}"
        return cls(folder)

    def _rows(self, name: str) -> Iterable[Dict[str, str]]:
        path = self.bundle / name
        if not path.exists():
            return []
        with open(path, newline="", encoding="utf-8") as f:
            return list(csv.DictReader(f))

    # --- what campaigns cover ---------------------------------------------------------------

    def items_of(self, identity_ids: Iterable[str]) -> List[Assignment]:
        """The review items of an identity campaign over these identities."""
        return [a for i in identity_ids for a in self.held.get(i, [])]

    def manager_scope(self) -> Dict[str, List[Assignment]]:
        """A MANAGER campaign: manager -> the items of their direct reports (non-empty only)."""
        scope = {m: self.items_of(rs) for m, rs in self.reports.items()}
        return {m: items for m, items in scope.items() if items}

    def search_subjects(self, n: int, exclude: Set[str]) -> List[str]:
        """`n` identities (lowest ids first, never the CEO, who has no manager, nor `exclude`)
        that hold every access kind and at least one entitlement with permissions, so that one
        small SEARCH campaign exercises every narrowing and every summary type."""
        chosen = []
        for i in sorted(self.identities):
            if i in exclude or not self.identities[i]["managerId"]:
                continue
            kinds = {a.access_type for a in self.held.get(i, [])}
            with_permissions = [a for a in self.held.get(i, [])
                                if a.access_type == "ENTITLEMENT" and self.permissions.get(a.access_id)]
            if kinds == set(ACCESS_TYPES) and with_permissions:
                chosen.append(i)
            if len(chosen) == n:
                return chosen
        raise AssertionError(f"the demo organisation has fewer than {n} suitable identities")
