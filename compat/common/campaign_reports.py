"""Campaign reports through one SailPoint SDK module family.

Both suites run these steps (sdk1: modules `v3`, `v2024`, `beta` of sailpoint 1.4.2; sdk2: the
service-versioned `/v1` modules of sailpoint 2.1.72), with the adapter of
`campaign_life.Sdk` plus one more kind, `reports`: the family's `ReportsDataExtractionApi`,
whose `get_report` (2.x `get_report_v1`) downloads a report result as a file
(`GET /reports/{taskResultId}?fileFormat=csv`). The beta module has no such class; the beta
suite uses the v3 one.

Steps (each one test; a step whose precondition an earlier one should have made skips):

1. A SEARCH campaign over three demo identities reviewed by E000050, generated and activated.
2. The reports configuration: read, set (`department` and the extra attribute `costCenter`),
   read back; unknown and repeated columns are 400s naming them; a REPORT_ADMIN and an
   ordinary user get 403.
3. The reviewer decides every item (one revoked with a comment that a spreadsheet would run as
   a formula) and signs off.
4. Every report type is run (`startCampaignReport`, 202, PENDING) and listed
   (`getCampaignReports`) until each is SUCCESS with its `lastRunAt`; a REPORT_ADMIN may run
   and list them too, an ordinary user may not, an unknown campaign is a 404.
5. Each report is downloaded through the SDK as CSV and checked against what the campaign
   holds: the composition report has every item with the configured holder columns, the
   status and sign-off reports the certification, the remediation status report the revoked
   item's order with its status and the neutralised comment. `pdf` is a 400, an unknown id a
   404, an ordinary user a 403.
6. The campaign CSV (native `GET /api/v1/campaigns/{id}/review-items.csv`, no SDK operation):
   every item with its decision, the neutralised comment and the configured columns.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest

from attest_server import HEX32, http
from campaign_life import (
    MISSING,
    OTHER,
    REVIEWER,
    MANAGER,
    Life,
    Sdk,
    all_items,
    expect_error,
    search_campaign_body,
    val,
    wait_for,
    wait_status,
)

#: The four SailPoint report types.
REPORT_TYPES = [
    "CAMPAIGN_COMPOSITION_REPORT",
    "CAMPAIGN_REMEDIATION_STATUS_REPORT",
    "CAMPAIGN_STATUS_REPORT",
    "CERTIFICATION_SIGNOFF_REPORT",
]

#: The `name` of each report's result.
TITLES = {
    "CAMPAIGN_COMPOSITION_REPORT": "Campaign Composition Report",
    "CAMPAIGN_REMEDIATION_STATUS_REPORT": "Campaign Remediation Status Report",
    "CAMPAIGN_STATUS_REPORT": "Campaign Status Report",
    "CERTIFICATION_SIGNOFF_REPORT": "Certification Signoff Report",
}

#: The configured identity attribute columns: a standard field and an extra attribute of the
#: demo organisation's identities.
COLUMNS = ["department", "costCenter"]

#: A comment a spreadsheet would run as a formula; reports write it with a leading `'`.
FORMULA = "=HYPERLINK(\"http://example.invalid\",\"x\")"

#: An ordinary identity given REPORT_ADMIN for these steps.
AUDITOR = "E000070"


@dataclass
class Reports:
    """What the steps of one family made so far."""

    life: Life = field(default_factory=Life)
    campaign_id: Optional[str] = None
    cert_id: Optional[str] = None
    configured: bool = False
    revoked_item: Any = None
    signed: bool = False
    runs: Dict[str, Any] = field(default_factory=dict)

    def need(self, *names: str) -> None:
        for n in names:
            if not getattr(self, n):
                pytest.skip(f"an earlier step did not produce {n}")


def parse_csv(data: bytes) -> tuple[List[str], List[Dict[str, str]]]:
    text = bytes(data).decode("utf-8")
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader)
    rows = [dict(zip(header, r)) for r in reader]
    return header, rows


def auditor(sdk: Sdk):
    return sdk.attest.pat(AUDITOR, ("REPORT_ADMIN",))


def as_(sdk: Sdk, kind: str, client) -> Any:
    """The API of `kind` for an arbitrary client (a PAT made here)."""
    key = (kind, client.client_id)
    if key not in sdk._apis:
        sdk._apis[key] = sdk.make(kind, sdk.configuration(client))
    return sdk._apis[key]


def report_type(api, name: str) -> Any:
    return api.model("ReportType")(name)


# --- the steps ----------------------------------------------------------------------------------


def step_campaign(sdk: Sdk, r: Reports) -> None:
    demo = sdk.attest.demo
    life = r.life
    life.subjects = demo.search_subjects(3, exclude={REVIEWER, OTHER, MANAGER, AUDITOR,
                                                     sdk.attest.admin.identity_id})
    life.expected = demo.items_of(life.subjects)
    api = sdk.campaigns()
    body = search_campaign_body(sdk, life)
    body["name"] = body["name"].replace("search", "reports")
    created = api.create_campaign(api.model("Campaign").from_dict(body))
    r.campaign_id = created.id
    wait_status(sdk, r.campaign_id, "STAGED")
    api.start_campaign(r.campaign_id, api.model("ActivateCampaignOptions")())
    wait_status(sdk, r.campaign_id, "ACTIVE")
    mine = sdk.my_certifications("reviewer", r.campaign_id)
    assert len(mine) == 1, mine
    r.cert_id = mine[0].id


def step_configuration(sdk: Sdk, r: Reports) -> None:
    api = sdk.campaigns()
    config = api.model("CampaignReportsConfig")
    before = api.get_campaign_reports_config()
    assert isinstance(before, config), type(before)
    assert before.identity_attribute_columns is None or isinstance(
        before.identity_attribute_columns, list)

    saved = api.set_campaign_reports_config(config(identity_attribute_columns=COLUMNS))
    assert isinstance(saved, config), type(saved)
    assert saved.identity_attribute_columns == COLUMNS
    assert api.get_campaign_reports_config().identity_attribute_columns == COLUMNS

    # Columns that name nothing the warehouse has, or one column twice: 400 naming them.
    e = expect_error(api, 400, lambda: api.set_campaign_reports_config(
        config(identity_attribute_columns=["department", "noSuchAttribute"])))
    assert "noSuchAttribute" in e.body, e.body
    e = expect_error(api, 400, lambda: api.set_campaign_reports_config(
        config(identity_attribute_columns=["costCenter", "costCenter"])))
    assert "costCenter" in e.body, e.body
    assert api.get_campaign_reports_config().identity_attribute_columns == COLUMNS

    # Only ORG_ADMIN and CERT_ADMIN read or change it.
    for client in (auditor(sdk), sdk.attest.reviewer):
        other = as_(sdk, "campaigns", client)
        expect_error(other, 403, lambda: other.get_campaign_reports_config())
        expect_error(other, 403, lambda: other.set_campaign_reports_config(
            config(identity_attribute_columns=[])))
    assert api.get_campaign_reports_config().identity_attribute_columns == COLUMNS
    r.configured = True


def step_decide_and_sign(sdk: Sdk, r: Reports) -> None:
    r.need("cert_id")
    review = sdk.review()
    decision = review.model("ReviewDecision")
    items = all_items(sdk, "reviewer", r.cert_id)
    assert len(items) == len(r.life.expected)
    revoked = next(i for i in items if val(i.access_summary.access.type) == "ENTITLEMENT")
    rest = [i for i in items if i.id != revoked.id]
    review.make_identity_decision(r.cert_id, [
        decision(id=revoked.id, decision="REVOKE", bulk=False, comments=FORMULA)])
    for start in range(0, len(rest), 250):
        review.make_identity_decision(r.cert_id, [
            decision(id=i.id, decision="APPROVE", bulk=True) for i in rest[start:start + 250]])
    signed = review.sign_off_identity_certification(r.cert_id)
    assert val(signed.phase) == "SIGNED", signed
    r.revoked_item = revoked
    r.signed = True


def step_run_and_list(sdk: Sdk, r: Reports) -> None:
    r.need("campaign_id", "signed")
    api = sdk.campaigns()
    for name in REPORT_TYPES:
        started = api.start_campaign_report(r.campaign_id, report_type(api, name))
        # The spec's 202 body is a free-form object; Attest sends the run's CampaignReport.
        assert isinstance(started, dict), type(started)
        assert started["status"] == "PENDING" and started["reportType"] == name, started
        assert started["type"] == "REPORT_RESULT" and HEX32.match(started["id"]), started

    def listed():
        return api.get_campaign_reports(r.campaign_id)

    done = wait_for(f"the reports of {r.campaign_id}", listed,
                    lambda runs: len(runs) == 4 and all(x.status == "SUCCESS" for x in runs),
                    lambda runs: any(x.status == "ERROR" for x in runs))
    model = api.model("CampaignReport")
    assert sorted(val(x.report_type) for x in done) == REPORT_TYPES
    for run in done:
        assert isinstance(run, model), type(run)
        assert val(run.type) == "REPORT_RESULT" and HEX32.match(run.id), run
        assert run.last_run_at is not None, run
        assert run.name == TITLES[val(run.report_type)], run
    r.runs = {val(x.report_type): x for x in done}

    # A REPORT_ADMIN may run and list reports (the spec's userLevels); a reviewer may not.
    audit = as_(sdk, "campaigns", auditor(sdk))
    assert len(audit.get_campaign_reports(r.campaign_id)) == 4
    rerun = audit.start_campaign_report(r.campaign_id, report_type(audit, "CAMPAIGN_STATUS_REPORT"))
    assert rerun["status"] == "PENDING"
    wait_for("the re-run status report", listed,
             lambda runs: any(x.id == rerun["id"] and x.status == "SUCCESS" for x in runs))
    runs = {val(x.report_type): x for x in listed()}
    assert len(runs) == 4, "a type run again replaces its previous run"
    assert runs["CAMPAIGN_STATUS_REPORT"].id == rerun["id"]
    r.runs = runs
    reviewer = sdk.campaigns("reviewer")
    expect_error(reviewer, 403, lambda: reviewer.get_campaign_reports(r.campaign_id))
    expect_error(reviewer, 403, lambda: reviewer.start_campaign_report(
        r.campaign_id, report_type(reviewer, "CAMPAIGN_STATUS_REPORT")))
    expect_error(api, 404, lambda: api.get_campaign_reports(MISSING))
    expect_error(api, 404, lambda: api.start_campaign_report(
        MISSING, report_type(api, "CAMPAIGN_STATUS_REPORT")))


def download(api, report_id: str, **kw) -> bytes:
    """The report's bytes. SDK 1.4 hands them back; SDK 2.x saves a download that names its
    file (`Content-Disposition`) into the working folder and hands back the path, which is
    read and removed here."""
    data = api.get_report(report_id, "csv", **kw)
    if isinstance(data, str):
        path = Path(data)
        assert path.suffix == ".csv", path
        if "name" in kw:
            assert path.name == kw["name"] + ".csv", path
        try:
            return path.read_bytes()
        finally:
            path.unlink()
    assert isinstance(data, (bytes, bytearray)), type(data)
    return bytes(data)


def step_download(sdk: Sdk, r: Reports) -> None:
    r.need("runs", "configured")
    api = sdk.reports()
    demo = sdk.attest.demo
    subjects = set(r.life.subjects)

    # Composition: every item, with the holder's configured attributes.
    header, rows = parse_csv(download(api, r.runs["CAMPAIGN_COMPOSITION_REPORT"].id))
    assert header[-2:] == ["holder.department", "holder.costCenter"], header
    assert len(rows) == len(r.life.expected)
    assert {row["holderIdentityId"] for row in rows} == subjects
    for row in rows:
        person = demo.identities[row["holderIdentityId"]]
        assert row["holder.department"] == person["department"], row
        assert row["holder.costCenter"] == person["costCenter"], row
        assert row["reviewerId"] == REVIEWER and row["certificationId"] == r.cert_id
    assert sorted((x["holderIdentityId"], x["accessType"], x["accessId"]) for x in rows) == \
        sorted((a.holder, a.access_type, a.access_id) for a in r.life.expected)

    # Status and sign-off: the one certification, complete and signed by its reviewer.
    _, rows = parse_csv(download(api, r.runs["CAMPAIGN_STATUS_REPORT"].id))
    assert len(rows) == 1 and rows[0]["certificationId"] == r.cert_id, rows
    assert rows[0]["itemsTotal"] == str(len(r.life.expected)) and rows[0]["itemsRevoked"] == "1"
    assert rows[0]["percentComplete"] == "100", rows
    assert rows[0]["reviewer.department"] == demo.identities[REVIEWER]["department"], rows
    _, rows = parse_csv(download(api, r.runs["CERTIFICATION_SIGNOFF_REPORT"].id))
    assert len(rows) == 1 and rows[0]["signedById"] == REVIEWER, rows
    assert rows[0]["phase"] == "SIGNED" and rows[0]["signed"], rows

    # Remediation status: the revoked item's order, its status and the neutralised comment.
    _, rows = parse_csv(download(api, r.runs["CAMPAIGN_REMEDIATION_STATUS_REPORT"].id,
                                 name="remediation"))
    assert len(rows) == 1, rows
    order = rows[0]
    assert order["itemId"] == r.revoked_item.id or order["accessId"] == \
        r.revoked_item.access_summary.access.id, order
    assert order["decision"] == "REVOKE" and order["status"], order
    assert order["comment"] == "'" + FORMULA, order

    # pdf is not written; an unknown id is a 404; a reviewer may not download.
    report_id = r.runs["CAMPAIGN_STATUS_REPORT"].id
    e = expect_error(api, 400, lambda: api.get_report(report_id, "pdf"))
    assert "csv" in e.body, e.body
    expect_error(api, 404, lambda: api.get_report(MISSING, "csv"))
    reviewer = sdk.reports("reviewer")
    expect_error(reviewer, 403, lambda: reviewer.get_report(report_id, "csv"))
    # A REPORT_ADMIN may.
    assert download(as_(sdk, "reports", auditor(sdk)), report_id).startswith(b"certificationId,")


def step_campaign_csv(sdk: Sdk, r: Reports) -> None:
    r.need("signed", "configured")
    token = sdk.configuration(sdk.attest.admin).access_token
    status, body, headers = http(
        "GET", f"{sdk.attest.url}/api/v1/campaigns/{r.campaign_id}/review-items.csv",
        token=token)
    assert status == 200, body
    content_type = {k.lower(): v for k, v in headers.items()}["content-type"]
    assert content_type.startswith("text/csv"), headers
    header, rows = parse_csv(body.encode())
    assert header[-2:] == ["holder.department", "holder.costCenter"], header
    assert len(rows) == len(r.life.expected)
    revoked = [x for x in rows if x["decision"] == "REVOKE"]
    assert len(revoked) == 1 and revoked[0]["comment"] == "'" + FORMULA, revoked
    assert all(x["decision"] == "APPROVE" for x in rows if x not in revoked)
    assert all(x["decisionTime"] and x["reviewerId"] == REVIEWER for x in rows)


def step_reset_configuration(sdk: Sdk, r: Reports) -> None:
    """Leaves the shared server's configuration empty for whatever runs next."""
    api = sdk.campaigns()
    api.set_campaign_reports_config(
        api.model("CampaignReportsConfig")(identity_attribute_columns=[]))
    assert api.get_campaign_reports_config().identity_attribute_columns == []
