"""The remediation scan through one SailPoint SDK module family (`start_campaign_remediation_scan`,
SailPoint's `POST /campaigns/{id}/run-remediation-scan`).

The scenario, the same for every family:

1. A SEARCH campaign over two demo identities, reviewed by the administrator, is generated,
   activated, every item revoked and signed off: each revocation is a provisioning order
   (Attest's native `GET /api/v1/provisioning-orders`). The administrator applies the
   campaign's decisions (`POST /api/v1/campaigns/{id}/apply-decisions`), releasing them.
2. `attest import` re-imports the demo bundle without the first identity's assignments (the
   access was removed on the source), on the running server's database.
3. Through the SDK: an ordinary user is refused (403, the SDK's `ForbiddenException` with its
   parsed `ErrorResponseDto`), an unknown campaign is a 404, a REPORT_ADMIN may start it, and
   the answer is SailPoint's 202 `{}`. The server's worker runs the scan: the first identity's
   orders become VERIFIED (access gone), the second's STILL_PRESENT.
4. The original bundle is imported again, so later tests see the demo organisation unchanged.

Campaign set-up and the orders are read over plain HTTP (the SDK has no provisioning-order
API); the operation under test is the SDK's.
"""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

from attest_server import Attest, attest_bin, clean_env, http
from campaign_life import Api, expect_error

#: How long generation, activation and the scan may take (the worker is woken at once).
TIMEOUT = 60.0

#: An identity that is given only REPORT_ADMIN (an auditor) for this scenario.
AUDITOR = "E000070"

#: Identities the campaign life and the token tests use: not chosen as subjects.
RESERVED = {"E000050", "E000060", "E000033", "E000070"}


def token(attest: Attest, client_id: str, client_secret: str) -> str:
    status, body, _ = http("POST", attest.url + "/oauth/token", form={
        "grant_type": "client_credentials", "client_id": client_id,
        "client_secret": client_secret,
    })
    assert status == 200, body
    return json.loads(body)["access_token"]


def call(attest: Attest, method: str, path: str, tok: str, body: Any = None) -> Tuple[int, Any]:
    """One JSON request; returns (status, parsed body or None)."""
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(attest.url + path, data=data, method=method)
    req.add_header("Authorization", f"Bearer {tok}")
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            raw = resp.read().decode()
            status = resp.status
    except urllib.error.HTTPError as e:
        raw, status = e.read().decode(), e.code
    return status, (json.loads(raw) if raw else None)


def wait_for(what: str, check, timeout: float = TIMEOUT) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


def import_bundle(attest: Attest, folder: Path) -> None:
    out = subprocess.run(
        [attest_bin(), "--log", "warn", "--database", attest.database_url, "import", str(folder)],
        cwd=attest.workdir, env=clean_env(), capture_output=True, text=True, timeout=120,
    )
    assert out.returncode == 0, f"attest import failed ({out.returncode}): {out.stderr}"


def bundle_without(attest: Attest, holder: str, folder: Path) -> Path:
    """A copy of the demo bundle whose assignments.csv lacks every assignment `holder` holds
    (directly or through an account)."""
    source = attest.demo.bundle
    if folder.exists():
        shutil.rmtree(folder)
    shutil.copytree(source, folder)
    with open(source / "accounts.csv", newline="", encoding="utf-8") as f:
        owner = {r["id"]: r["identityId"] for r in csv.DictReader(f)}
    with open(source / "assignments.csv", newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        fields = reader.fieldnames
        rows = [r for r in reader
                if (r["identityId"] or owner.get(r["accountId"], "")) != holder]
    with open(folder / "assignments.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
    return folder


class RemediationScan:
    """One family's scenario. `api(who)` gives the family's CertificationCampaignsApi (an
    `Api` of campaign_life) for `admin`, `reviewer` or `auditor`."""

    def __init__(self, attest: Attest, name: str, api) -> None:
        self.attest = attest
        self.name = name
        self.api = api
        self.admin = token(attest, attest.admin.client_id, attest.admin.client_secret)
        self.campaign: Optional[str] = None
        self.subjects: List[str] = []

    # -- set-up over plain HTTP -----------------------------------------------------------------

    def pick_subjects(self) -> List[str]:
        """Two identities with a manager and at most 40 assignments (one decide call each)."""
        demo = self.attest.demo
        chosen = [i for i in sorted(demo.identities)
                  if i not in RESERVED and i != self.attest.admin.identity_id
                  and demo.identities[i]["managerId"] and 2 <= len(demo.held.get(i, [])) <= 40]
        assert len(chosen) >= 2, "the demo organisation has too few suitable identities"
        return chosen[:2]

    def revoked_and_released(self) -> List[Dict[str, Any]]:
        """Steps 1: the campaign, revoked, signed off and released. Returns its orders."""
        self.subjects = self.pick_subjects()
        admin_id = self.attest.admin.identity_id
        deadline = (datetime.now(timezone.utc) + timedelta(days=7)).replace(microsecond=0)
        status, created = call(self.attest, "POST", "/v3/campaigns", self.admin, {
            "name": f"compat {self.name} remediation {uuid.uuid4().hex[:8]}",
            "description": "revoked, re-imported and scanned",
            "type": "SEARCH",
            "deadline": deadline.isoformat().replace("+00:00", "Z"),
            "emailNotificationEnabled": False,
            "autoRevokeAllowed": False,
            "recommendationsEnabled": False,
            "searchCampaignInfo": {
                "type": "IDENTITY",
                "description": "two demo identities",
                "reviewer": {"type": "IDENTITY", "id": admin_id},
                "identityIds": self.subjects,
            },
        })
        assert status == 202, created
        self.campaign = created["id"]
        campaign_path = f"/v3/campaigns/{self.campaign}"
        wait_for("STAGED", lambda: call(self.attest, "GET", campaign_path,
                                        self.admin)[1]["status"] == "STAGED")
        status, body = call(self.attest, "POST", campaign_path + "/activate", self.admin, {})
        assert status == 202, body
        wait_for("ACTIVE", lambda: call(self.attest, "GET", campaign_path,
                                        self.admin)[1]["status"] == "ACTIVE")
        flt = urllib.request.quote(f'campaign.id eq "{self.campaign}"')
        status, certs = call(self.attest, "GET",
                             f"/v3/certifications?reviewer-identity=me&filters={flt}",
                             self.admin)
        assert status == 200 and len(certs) == 1, certs
        cert = certs[0]["id"]
        status, items = call(self.attest, "GET",
                             f"/v3/certifications/{cert}/access-review-items?limit=250",
                             self.admin)
        assert status == 200, items
        expected = len(self.attest.demo.items_of(self.subjects))
        assert len(items) == expected, (len(items), expected)
        for start in range(0, len(items), 250):
            status, body = call(self.attest, "POST", f"/v3/certifications/{cert}/decide",
                                self.admin,
                                [{"id": i["id"], "decision": "REVOKE", "bulk": True,
                                  "comments": "removed in the access review"}
                                 for i in items[start:start + 250]])
            assert status == 200, body
        status, body = call(self.attest, "POST", f"/v3/certifications/{cert}/sign-off",
                            self.admin)
        assert status == 200, body
        def made() -> Optional[List[Dict[str, Any]]]:
            orders = self.orders()
            return orders if len(orders) == expected else None

        orders = wait_for("the provisioning orders", made)
        assert all(o["status"] == "PENDING" and not o["released"] for o in orders), orders
        status, body = call(self.attest, "POST",
                            f"/api/v1/campaigns/{self.campaign}/apply-decisions", self.admin)
        assert status == 200 and body["released"] == expected, body
        return self.orders()

    def orders(self) -> List[Dict[str, Any]]:
        status, body = call(self.attest, "GET",
                            f"/api/v1/provisioning-orders?campaignId={self.campaign}&limit=250",
                            self.admin)
        assert status == 200, body
        return body

    def reimport_without_first_subject(self) -> None:
        folder = self.attest.workdir / f"remediation-bundle-{self.name}"
        import_bundle(self.attest, bundle_without(self.attest, self.subjects[0], folder))

    def restore(self) -> None:
        import_bundle(self.attest, self.attest.demo.bundle)

    # -- the operation under test ---------------------------------------------------------------

    def scan_refusals(self) -> None:
        reviewer: Api = self.api("reviewer")
        expect_error(reviewer, 403, lambda: reviewer.start_campaign_remediation_scan(self.campaign))
        admin: Api = self.api("admin")
        expect_error(admin, 404,
                     lambda: admin.start_campaign_remediation_scan("0123456789abcdef0123456789abcdef"))

    def scan_and_verify(self) -> None:
        auditor: Api = self.api("auditor")
        answer = auditor.start_campaign_remediation_scan_with_http_info(self.campaign)
        assert answer.status_code == 202, answer.status_code
        assert answer.data == {}, answer.data
        def scanned() -> Optional[List[Dict[str, Any]]]:
            orders = self.orders()
            return orders if all(o["scannedAt"] for o in orders) else None

        orders = wait_for("the scan", scanned)
        first, second = self.subjects
        by_holder: Dict[str, set] = {first: set(), second: set()}
        for o in orders:
            by_holder[o["identityId"]].add(o["status"])
        assert by_holder == {first: {"VERIFIED"}, second: {"STILL_PRESENT"}}, by_holder
