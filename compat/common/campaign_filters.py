"""Campaign filters through one SailPoint SDK module family: every operation of
CertificationCampaignFiltersApi (create, list with `limit` / `start` / `includeSystemFilters`,
get, update, bulk delete), who may call them, how Attest refuses what is wrong, and a SEARCH
campaign created with a filter (`filter: {id, type: CAMPAIGN_FILTER}`) whose generation leaves
out exactly what the filter matches.

The suites: sdk1/test_campaign_filters.py (sailpoint 1.4.2 modules `v3`, `v2024`, `v2025`; the
beta module has no filters, as SailPoint's beta publishes none) and
sdk2/test_campaign_filters_v1.py (2.1.72's `sailpoint.certification_campaign_filters`).
Each step is one test; a step skips when an earlier one did not make what it needs. Every
filter and campaign made here is deleted at the end, so the other files of the session see the
server as they expect.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

import pytest

from attest_server import HEX32
from campaign_life import (MISSING, OTHER, MANAGER, REVIEWER, Sdk, counter, expect_error,
                           expected_counter, now, iso, wait_status)
from datetime import timedelta

#: The filters Attest ships (read-only), in list order.
SYSTEM_FILTERS = [
    ("a77e57f1000000000000000000000001", "Exclude machine accounts"),
    ("a77e57f1000000000000000000000002", "Exclude disabled accounts"),
    ("a77e57f1000000000000000000000003", "Exclude inactive identities"),
]


@dataclass
class FilterLife:
    """What the steps of one family made so far."""

    filter_id: Optional[str] = None
    filter_name: str = ""
    subjects: List[str] = field(default_factory=list)
    campaign_id: Optional[str] = None

    def need(self, *names: str) -> None:
        for n in names:
            if not getattr(self, n):
                pytest.skip(f"an earlier step did not produce {n}")


def criterion(kind: str, operation: str, prop: Optional[str], value: Optional[str],
              children: Optional[List[Dict[str, Any]]] = None) -> Dict[str, Any]:
    return {"type": kind, "operation": operation, "property": prop, "value": value,
            "negateResult": False, "shortCircuit": False, "recordChildMatches": False,
            "id": None, "suppressMatchedItems": False, "children": children}


def details(sdk: Sdk, name: str, mode: str, criteria: List[Dict[str, Any]],
            filter_id: str = "") -> Any:
    """The family's CampaignFilterDetails (the SDK requires `id`, `owner` and
    `isSystemFilter` even on create; Attest sets them itself)."""
    return sdk.filters().model("CampaignFilterDetails").from_dict({
        "id": filter_id, "name": name, "description": f"{name} (SDK {sdk.name})",
        "owner": None, "mode": mode, "criteriaList": criteria, "isSystemFilter": False})


def step_create(sdk: Sdk, life: FilterLife) -> None:
    api = sdk.filters()
    life.filter_name = f"compat {sdk.name} filter {uuid.uuid4().hex[:8]}"
    body = details(sdk, life.filter_name, "INCLUSION",
                   [criterion("IDENTITY_ATTRIBUTE", "CONTAINS", "displayName", "a")])

    # Ordinary users may not manage filters.
    expect_error(sdk.filters("reviewer"), 403,
                 lambda: sdk.filters("reviewer").create_campaign_filter(body))

    created = api.create_campaign_filter(body)
    assert isinstance(created, api.model("CampaignFilterDetails")), type(created)
    assert HEX32.match(created.id), created.id
    assert created.name == life.filter_name
    assert created.owner, "the owner is the creator's name"
    assert created.mode == "INCLUSION" and created.is_system_filter is False
    (c,) = created.criteria_list
    assert (c.type, c.operation, c.var_property, c.value) == (
        "IDENTITY_ATTRIBUTE", "CONTAINS", "displayName", "a"), c
    life.filter_id = created.id

    # A property ACCOUNT criteria do not have: a 400 naming the field.
    bad = details(sdk, "bad", "EXCLUSION", [criterion("ACCOUNT", "EQUALS", "colour", "red")])
    e = expect_error(api, 400, lambda: api.create_campaign_filter(bad))
    assert "criteriaList[0].property" in e.body and "colour" in e.body, e.body
    # A COMPOSITE needs AND or OR and children.
    bad = details(sdk, "bad", "EXCLUSION", [criterion("COMPOSITE", "EQUALS", None, None, [])])
    e = expect_error(api, 400, lambda: api.create_campaign_filter(bad))
    assert "criteriaList[0].operation" in e.body and "criteriaList[0].children" in e.body, e.body


def step_read_and_list(sdk: Sdk, life: FilterLife) -> None:
    life.need("filter_id")
    api = sdk.filters()
    one = api.get_campaign_filter_by_id(life.filter_id)
    assert isinstance(one, api.model("CampaignFilterDetails")), type(one)
    assert one.id == life.filter_id and one.name == life.filter_name

    everything = api.list_campaign_filters()
    ids = [f.id for f in everything.items]
    assert ids[:3] == [i for i, _ in SYSTEM_FILTERS], ids
    assert [f.name for f in everything.items[:3]] == [n for _, n in SYSTEM_FILTERS]
    assert all(f.is_system_filter for f in everything.items[:3])
    assert life.filter_id in ids and everything.count == len(ids), everything.count

    mine = api.list_campaign_filters(include_system_filters=False)
    assert life.filter_id in [f.id for f in mine.items]
    assert not any(f.is_system_filter for f in mine.items)
    assert mine.count == everything.count - 3

    page = api.list_campaign_filters(limit=1, start=1, include_system_filters=True)
    assert [f.id for f in page.items] == [SYSTEM_FILTERS[1][0]]
    assert page.count == everything.count
    assert api.list_campaign_filters(limit=0).items == []

    expect_error(sdk.filters("reviewer"), 403, lambda: sdk.filters("reviewer").list_campaign_filters())
    expect_error(api, 404, lambda: api.get_campaign_filter_by_id(MISSING))


def step_update(sdk: Sdk, life: FilterLife) -> None:
    life.need("filter_id")
    api = sdk.filters()
    life.subjects = sdk.attest.demo.search_subjects(
        3, exclude={REVIEWER, OTHER, MANAGER, sdk.attest.admin.identity_id})
    # Leave out the first two subjects' access.
    either = criterion("COMPOSITE", "OR", None, None, [
        criterion("IDENTITY", "EQUALS", "id", life.subjects[0]),
        criterion("IDENTITY", "EQUALS", "id", life.subjects[1]),
    ])
    life.filter_name += " (updated)"
    body = details(sdk, life.filter_name, "EXCLUSION", [either], life.filter_id)
    updated = api.update_campaign_filter(life.filter_id, body)
    assert updated.id == life.filter_id and updated.name == life.filter_name
    assert updated.mode == "EXCLUSION"
    (c,) = updated.criteria_list
    assert c.type == "COMPOSITE" and c.operation == "OR" and len(c.children) == 2, c
    assert api.get_campaign_filter_by_id(life.filter_id).mode == "EXCLUSION"

    # System filters are read-only; an unknown id is not found; others may not.
    system = SYSTEM_FILTERS[0][0]
    taken = details(sdk, "taken over", "EXCLUSION", [either], system)
    e = expect_error(api, 400, lambda: api.update_campaign_filter(system, taken))
    assert "system filter" in e.body, e.body
    with pytest.raises(api.exceptions.NotFoundException):
        api.update_campaign_filter(MISSING, details(sdk, "x", "EXCLUSION", [either], MISSING))
    anonymous = details(sdk, "anonymous", "EXCLUSION", [either])
    if sdk.name == "v1":
        # The body's id, when given, must be the path's.
        e = expect_error(api, 400, lambda: api.update_campaign_filter(system, body))
        assert "is not the id in the path" in e.body, e.body
    else:
        # SDK 1.4.x sends `/campaign-filters/{id}` unfilled (SailPoint's spec names the path
        # parameter `filterId`): Attest takes the id from the body, so one is required.
        e = expect_error(api, 400, lambda: api.update_campaign_filter(life.filter_id, anonymous))
        assert "the path names no filter" in e.body, e.body
    expect_error(sdk.filters("reviewer"), 403,
                 lambda: sdk.filters("reviewer").update_campaign_filter(life.filter_id, body))


def campaign_body(sdk: Sdk, life: FilterLife, filter_id: str) -> Any:
    return sdk.campaigns().model("Campaign").from_dict({
        "name": f"compat {sdk.name} filtered {uuid.uuid4().hex[:8]}",
        "description": "A SEARCH campaign with a campaign filter",
        "type": "SEARCH",
        "deadline": iso((now() + timedelta(days=7)).replace(microsecond=0)),
        "emailNotificationEnabled": False,
        "autoRevokeAllowed": False,
        "recommendationsEnabled": False,
        "filter": {"id": filter_id, "type": "CAMPAIGN_FILTER"},
        "searchCampaignInfo": {
            "type": "IDENTITY",
            "description": "three demo identities, two filtered out",
            "reviewer": {"type": "IDENTITY", "id": REVIEWER},
            "identityIds": life.subjects,
        },
    })


def step_campaign_with_filter(sdk: Sdk, life: FilterLife) -> None:
    life.need("filter_id", "subjects")
    api = sdk.campaigns()
    e = expect_error(api, 400, lambda: api.create_campaign(campaign_body(sdk, life, MISSING)))
    assert f"campaign filter {MISSING} does not exist" in e.body, e.body

    created = api.create_campaign(campaign_body(sdk, life, life.filter_id))
    assert created.filter.id == life.filter_id and created.filter.type == "CAMPAIGN_FILTER"
    assert created.filter.name == life.filter_name, created.filter
    life.campaign_id = created.id
    staged = wait_status(sdk, created.id, "STAGED")
    assert staged.total_certifications == 1, staged

    review = sdk.review("admin")
    (cert,) = review.list_identity_certifications(filters=f'campaign.id eq "{created.id}"')
    items = review.list_identity_access_review_items(cert.id, limit=250)
    expected = sdk.attest.demo.items_of(life.subjects[2:])
    assert expected, "the third subject holds access"
    assert counter(items) == expected_counter(expected), (counter(items), expected)
    left_out = {a.holder for a in sdk.attest.demo.items_of(life.subjects[:2])}
    assert not left_out & {i.identity_summary.identity_id for i in items}

    answer = api.get_campaign_with_http_info(created.id, detail="FULL")
    full = api.model("Campaign").from_json(answer.raw_data.decode())
    assert full.filter.id == life.filter_id
    assert any(a.level == "INFO" and "kept" in (a.localizations[0].text or "")
               for a in full.alerts or []), full.alerts


def step_bulk_delete(sdk: Sdk, life: FilterLife) -> None:
    life.need("filter_id")
    api = sdk.filters()
    if life.campaign_id:
        campaigns = sdk.campaigns()
        campaigns.delete_campaigns(
            campaigns.model("CampaignsDeleteRequest").from_dict({"ids": [life.campaign_id]}))
    expect_error(sdk.filters("reviewer"), 403,
                 lambda: sdk.filters("reviewer").delete_campaign_filters([life.filter_id]))
    e = expect_error(api, 404, lambda: api.delete_campaign_filters([life.filter_id, MISSING]))
    assert MISSING in e.body, e.body
    system = SYSTEM_FILTERS[2][0]
    e = expect_error(api, 400, lambda: api.delete_campaign_filters([life.filter_id, system]))
    assert system in e.body, e.body
    assert api.get_campaign_filter_by_id(life.filter_id).id == life.filter_id, "nothing deleted"

    assert api.delete_campaign_filters([life.filter_id]) is None
    expect_error(api, 404, lambda: api.get_campaign_filter_by_id(life.filter_id))
    assert life.filter_id not in [f.id for f in api.list_campaign_filters().items]
    assert api.get_campaign_filter_by_id(system).is_system_filter is True
