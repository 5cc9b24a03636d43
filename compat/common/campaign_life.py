"""A full campaign life, driven through one SailPoint SDK module family.

Both suites run the same steps (sdk1: modules `v3`, `v2024`, `beta` of sailpoint 1.4.2; sdk2:
the service-versioned `/v1` modules of sailpoint 2.1.72). An [`Sdk`] adapter gives each step the
family's generated API classes and models; the steps call the SDK's typed operations as a
customer would, and assert on the typed results the SDK parsed (pydantic models), with what
the demo organisation's own bundle says the campaign must hold ([`demo_org.DemoOrg`]).

Two lives per family:

- a SEARCH campaign over three identities, reviewed by E000050 (exact and small): create,
  generation (PENDING -> STAGED), JSON Patch, activation (-> ACTIVE), every read of a
  certification, decisions, reassign and reassign-async, sign-off of both certifications
  (-> COMPLETED);
- a MANAGER campaign over the whole organisation: one certification per manager, `me` shows a
  manager only their own, the administrator moves one, brings the deadline forward and
  completes it (-> COMPLETED).

Both end in one bulk delete. Each step is one test; a step that needs what an earlier one
should have made skips when it is missing (the earlier step has failed already).

Identities: the administrator E000002 (ORG_ADMIN, from `--demo`), the reviewer E000050, another
reviewer E000060 and the manager E000033 (E000050's manager), all of them ordinary users.
"""

from __future__ import annotations

import importlib
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from enum import Enum
from typing import Any, Callable, Dict, List, Optional, Tuple

import pydantic
import pytest
from sailpoint.configuration import Configuration, ConfigurationParams

from attest_server import HEX32, Attest, Client, assert_error_response_dto
from demo_org import ACCESS_TYPES, Assignment

REVIEWER = "E000050"
OTHER = "E000060"
MANAGER = "E000033"

#: How long generation, activation, completion and tasks may take (the worker runs a task
#: within about a second; generating the MANAGER campaign takes a few).
TASK_TIMEOUT = 60.0
POLL_INTERVAL = 0.1

#: A decide call takes at most this many decisions.
DECIDE_LIMIT = 250

PENDING_TASK_STATUSES = {"QUEUED", "IN_PROGRESS"}

MISSING = "0123456789abcdef0123456789abcdef"


def val(x: Any) -> Any:
    """An enum's wire value, anything else as it is (SDK 2.x types some enums as `Union[E, str]`)."""
    return x.value if isinstance(x, Enum) else x


def iso(t: datetime) -> str:
    return t.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def now() -> datetime:
    return datetime.now(timezone.utc)


# --- the SDK adapter --------------------------------------------------------------------------


@dataclass
class Exchange:
    """The last HTTP exchange of one generated ApiClient."""

    method: str = ""
    url: str = ""
    status: Optional[int] = None
    body: bytes = b""
    seq: int = 0


class Api:
    """One generated API class bound to one client, seen through its operation names without
    the family's suffix (`create_campaign` calls `create_campaign_v1` in SDK 2.x).

    When the SDK cannot parse what Attest answered (a pydantic error while deserialising), the
    failure names the operation and shows the raw answer, so a wire mismatch is plain to see.
    """

    def __init__(self, package: str, obj: Any, suffix: str, aliases: Dict[str, str]) -> None:
        self.package = package
        self._obj = obj
        self._suffix = suffix
        self._aliases = aliases
        self.last = Exchange()
        client = obj.api_client
        original = client.rest_client.request

        def spy(method, url, headers=None, body=None, post_params=None, _request_timeout=None):
            resp = original(method, url, headers=headers, body=body, post_params=post_params,
                            _request_timeout=_request_timeout)
            resp.read()  # cached by the RESTResponse; the SDK reads the same bytes
            self.last = Exchange(method, url, resp.status, resp.data or b"", self.last.seq + 1)
            return resp

        client.rest_client.request = spy

    def _name(self, op: str) -> str:
        for tail in ("_with_http_info", "_without_preload_content"):
            if op.endswith(tail):
                return op[: -len(tail)] + self._suffix + tail
        return op + self._suffix

    def __getattr__(self, op: str) -> Callable:
        if op.startswith("_"):
            raise AttributeError(op)
        fn = getattr(self._obj, self._name(op))

        def call(*args, **kwargs):
            before = self.last.seq
            try:
                return fn(*args, **kwargs)
            except (pydantic.ValidationError, ValueError) as e:
                if self.last.seq == before:
                    raise  # refused before sending: the test's own arguments
                raise AssertionError(
                    f"{self.package}.{self._name(op)}: the SDK cannot parse Attest's answer to "
                    f"{self.last.method} {self.last.url} ({self.last.status}):\n"
                    f"{self.last.body[:3000].decode(errors='replace')}\n--- {e}"
                ) from e

        return call

    def unchecked(self, op: str) -> Callable:
        """The operation without the SDK's own argument validation (pydantic `validate_call`),
        to show what the server does with what the SDK would refuse to send."""
        raw = getattr(type(self._obj), self._name(op)).raw_function
        return lambda *args, **kwargs: raw(self._obj, *args, **kwargs)

    def model(self, name: str) -> Any:
        models = importlib.import_module(self.package + ".models")
        return getattr(models, self._aliases.get(name, name))

    @property
    def exceptions(self) -> Any:
        return importlib.import_module(self.package + ".exceptions")


class Sdk:
    """One SDK module family. Subclasses say where each API class lives.

    Kinds: `campaigns` (CertificationCampaignsApi), `certifications` (the family's
    CertificationsApi), `review` (the CertificationsApi operations a reviewer works with; the
    beta module lacks them, so beta reviews through v3, as SailPoint's beta docs point to) and
    `summaries` (CertificationSummariesApi).
    """

    #: Short name, e.g. `v3`.
    name: str = ""
    #: The beta module family (its own list/task operations and shapes).
    beta: bool = False

    def __init__(self, attest: Attest) -> None:
        self.attest = attest
        self._configs: Dict[str, Configuration] = {}
        self._apis: Dict[Tuple[str, str], Api] = {}

    def make(self, kind: str, configuration: Configuration) -> Api:
        raise NotImplementedError

    def configuration(self, client: Client) -> Configuration:
        if client.client_id not in self._configs:
            params = ConfigurationParams()
            params.base_url = self.attest.url
            params.client_id = client.client_id
            params.client_secret = client.client_secret
            config = Configuration(params)
            assert config.access_token, f"no token for {client.identity_id}"
            self._configs[client.client_id] = config
        return self._configs[client.client_id]

    def api(self, kind: str, who: str) -> Api:
        client = self.who(who)
        key = (kind, client.client_id)
        if key not in self._apis:
            self._apis[key] = self.make(kind, self.configuration(client))
        return self._apis[key]

    def who(self, who: str) -> Client:
        if who == "admin":
            return self.attest.admin
        if who == "reviewer":
            return self.attest.reviewer
        return self.attest.pat({"other": OTHER, "manager": MANAGER}[who])

    # shorthands
    def campaigns(self, who: str = "admin") -> Api:
        return self.api("campaigns", who)

    def certifications(self, who: str = "reviewer") -> Api:
        return self.api("certifications", who)

    def review(self, who: str = "reviewer") -> Api:
        return self.api("review", who)

    def summaries(self, who: str = "reviewer") -> Api:
        return self.api("summaries", who)

    def get_campaign(self, campaign_id: str, detail: str = "SLIM") -> Any:
        """The campaign's typed model (SLIM unless asked; beta has no `detail`)."""
        api = self.campaigns()
        if self.beta:
            return api.get_campaign(campaign_id)
        return api.get_campaign(campaign_id, detail=detail).actual_instance

    def my_certifications(self, who: str, campaign_id: str) -> List[Any]:
        """`GET /certifications?reviewer-identity=me` of one campaign, as `who`."""
        return self.review(who).list_identity_certifications(
            reviewer_identity="me", filters=f'campaign.id eq "{campaign_id}"', limit=250)


# --- shared state and helpers -----------------------------------------------------------------


@dataclass
class Life:
    """What the steps of one family made so far."""

    subjects: List[str] = field(default_factory=list)
    expected: List[Assignment] = field(default_factory=list)
    campaign: Any = None
    search_id: Optional[str] = None
    deadline: Optional[datetime] = None
    staged: bool = False
    active: bool = False
    cert_id: Optional[str] = None
    items: List[Any] = field(default_factory=list)
    summary_ids: Dict[str, str] = field(default_factory=dict)
    decided: bool = False
    reassigned_item: Any = None
    other_cert_id: Optional[str] = None
    reassigned: bool = False
    manager_id: Optional[str] = None
    completed: List[str] = field(default_factory=list)

    def need(self, *names: str) -> None:
        for n in names:
            if not getattr(self, n):
                pytest.skip(f"an earlier step did not produce {n}")


def wait_for(what: str, fetch: Callable[[], Any], done: Callable[[Any], bool],
             failed: Callable[[Any], bool] = lambda _: False, timeout: float = TASK_TIMEOUT) -> Any:
    """Polls `fetch` until `done` holds; fails at once on `failed`, or after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        value = fetch()
        if done(value):
            return value
        assert not failed(value), f"{what}: failed: {value!r}"
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: still not there after {timeout}s: {value!r}")
        time.sleep(POLL_INTERVAL)


def wait_status(sdk: Sdk, campaign_id: str, status: str) -> Any:
    return wait_for(f"campaign {campaign_id} -> {status}",
                    lambda: sdk.get_campaign(campaign_id),
                    lambda c: c.status == status,
                    lambda c: c.status == "ERROR")


def expect_error(api: Api, status: int, call: Callable[[], Any],
                 statuses: Tuple[int, ...] = ()) -> Any:
    """The call fails with the family's typed exception for `status` (or one of `statuses`),
    whose body the SDK parsed into its ErrorResponseDto."""
    allowed = statuses or (status,)
    with pytest.raises(api.exceptions.ApiException) as info:
        call()
    e = info.value
    assert e.status in allowed, f"expected {allowed}, got {e.status}: {e.body}"
    cls = {400: "BadRequestException", 403: "ForbiddenException",
           404: "NotFoundException"}[e.status]
    assert isinstance(e, getattr(api.exceptions, cls)), type(e)
    detail = {400: "400.1 Bad Request Content", 403: "403 Forbidden", 404: "404 Not found"}
    assert_error_response_dto(e.body, e.headers, detail[e.status])
    assert isinstance(e.data, api.model("ErrorResponseDto")), (
        f"{api.package}: the SDK did not parse the error body into its ErrorResponseDto: {e.body}")
    assert e.data.messages and e.data.messages[0].text
    return e


def counter(items: List[Any]) -> Counter:
    """(holder identity, access type, access id) of typed AccessReviewItems."""
    return Counter((i.identity_summary.identity_id, val(i.access_summary.access.type),
                    i.access_summary.access.id) for i in items)


def expected_counter(assignments: List[Assignment]) -> Counter:
    return Counter((a.holder, a.access_type, a.access_id) for a in assignments)


def decide_all(sdk: Sdk, who: str, cert_id: str, decision: str = "APPROVE") -> int:
    """Decides every undecided item of a certification, in calls of at most 250."""
    api = sdk.review(who)
    decision_model = api.model("ReviewDecision")
    undecided = [i for i in all_items(sdk, who, cert_id) if not i.completed]
    for start in range(0, len(undecided), DECIDE_LIMIT):
        chunk = undecided[start:start + DECIDE_LIMIT]
        api.make_identity_decision(cert_id, [
            decision_model(id=i.id, decision=decision, bulk=True) for i in chunk])
    return len(undecided)


def all_items(sdk: Sdk, who: str, cert_id: str, **narrow: str) -> List[Any]:
    api = sdk.review(who)
    items: List[Any] = []
    while True:
        page = api.list_identity_access_review_items(cert_id, limit=250, offset=len(items),
                                                     **narrow)
        items += page
        if len(page) < 250:
            return items


# --- the SEARCH life ----------------------------------------------------------------------------


def search_campaign_body(sdk: Sdk, life: Life) -> Dict[str, Any]:
    life.deadline = (now() + timedelta(days=7)).replace(microsecond=0)
    return {
        "name": f"compat {sdk.name} search {uuid.uuid4().hex[:8]}",
        "description": f"SDK compatibility ({sdk.name}): three identities reviewed by {REVIEWER}",
        "type": "SEARCH",
        "deadline": iso(life.deadline),
        "emailNotificationEnabled": False,
        "autoRevokeAllowed": False,
        "recommendationsEnabled": True,
        "searchCampaignInfo": {
            "type": "IDENTITY",
            "description": "three demo identities",
            "reviewer": {"type": "IDENTITY", "id": REVIEWER},
            "identityIds": life.subjects,
        },
    }


def step_create(sdk: Sdk, life: Life) -> None:
    demo = sdk.attest.demo
    life.subjects = demo.search_subjects(3, exclude={REVIEWER, OTHER, MANAGER,
                                                     sdk.attest.admin.identity_id})
    life.expected = demo.items_of(life.subjects)
    api = sdk.campaigns()
    body = api.model("Campaign").from_dict(search_campaign_body(sdk, life))

    # An ordinary user may not create campaigns.
    expect_error(sdk.campaigns("reviewer"), 403,
                 lambda: sdk.campaigns("reviewer").create_campaign(body))

    created = api.create_campaign(body)
    assert isinstance(created, api.model("Campaign")), type(created)
    assert HEX32.match(created.id or ""), created.id
    assert created.status == "PENDING", created.status
    assert created.name == body.name and created.type == "SEARCH"
    assert created.search_campaign_info.identity_ids == life.subjects
    assert created.search_campaign_info.reviewer.id == REVIEWER
    life.campaign = created
    life.search_id = created.id


def step_generate(sdk: Sdk, life: Life) -> None:
    life.need("search_id")
    api = sdk.campaigns()
    staged = wait_status(sdk, life.search_id, "STAGED")
    assert isinstance(staged, api.model("SlimCampaign")), type(staged)
    assert staged.total_certifications == 1, staged
    assert staged.completed_certifications == 0, staged
    assert staged.deadline == life.deadline, (staged.deadline, life.deadline)

    # FULL: the SDK's anyOf takes the first schema that fits (SlimCampaign), so the full
    # model is parsed from the raw answer as well.
    if not sdk.beta:
        answer = api.get_campaign_with_http_info(life.search_id, detail="FULL")
        full = api.model("Campaign").from_json(answer.raw_data.decode())
        assert full.id == life.search_id and full.status == "STAGED"
        assert full.search_campaign_info.identity_ids == life.subjects, full.search_campaign_info
        assert full.search_campaign_info.reviewer.id == REVIEWER
        assert full.search_campaign_info.type == "IDENTITY"

    for detail in ("SLIM", "FULL"):
        listed = api.get_active_campaigns(detail=detail, filters=f'id eq "{life.search_id}"')
        assert [c.actual_instance.id for c in listed] == [life.search_id], detail
        assert listed[0].actual_instance.status == "STAGED"
    listed = api.get_active_campaigns(filters=f'name eq "{life.campaign.name}"')
    assert [c.actual_instance.id for c in listed] == [life.search_id]

    life.staged = True


def step_staged_hidden(sdk: Sdk, life: Life) -> None:
    """A STAGED certification is not yet visible to its reviewer (CertificationPhase::Staged)."""
    life.need("staged")
    assert sdk.my_certifications("reviewer", life.search_id) == []


def step_patch(sdk: Sdk, life: Life) -> None:
    life.need("staged")
    api = sdk.campaigns()
    name = life.campaign.name + " (patched)"
    ops = [{"op": "replace", "path": "/name", "value": name},
           {"op": "replace", "path": "/description", "value": "patched by the SDK"},
           {"op": "replace", "path": "/recommendationsEnabled", "value": False}]
    if sdk.beta:
        patched = api.update_campaign(life.search_id, ops)
    else:
        op_model = api.model("JsonPatchOperation")
        patched = api.update_campaign(life.search_id, [op_model.from_dict(o) for o in ops])
    assert isinstance(patched, api.model("SlimCampaign")), type(patched)
    assert patched.name == name and patched.description == "patched by the SDK"
    assert patched.recommendations_enabled is False
    assert patched.status == "STAGED"
    life.campaign.name = name

    bad = [{"op": "replace", "path": "/type", "value": "MANAGER"}]
    e = expect_error(api, 400, lambda: api.update_campaign(
        life.search_id, bad if sdk.beta else [api.model("JsonPatchOperation").from_dict(bad[0])]))
    assert "/type" in e.body or "type" in e.body, e.body


def step_activate(sdk: Sdk, life: Life) -> None:
    life.need("staged")
    api = sdk.campaigns()
    options = api.model("ActivateCampaignOptions")(time_zone="+02:00")
    api.start_campaign(life.search_id, options)
    active = wait_status(sdk, life.search_id, "ACTIVE")
    assert active.total_certifications == 1

    # Activating twice is refused: the campaign is no longer STAGED.
    expect_error(api, 400, lambda: api.start_campaign(life.search_id, options))

    mine = sdk.my_certifications("reviewer", life.search_id)
    assert len(mine) == 1, mine
    cert = mine[0]
    review = sdk.review()
    assert isinstance(cert, review.model("IdentityCertificationDto")), type(cert)
    assert HEX32.match(cert.id or ""), cert.id
    assert val(cert.phase) == "ACTIVE"
    assert cert.campaign.id == life.search_id and cert.campaign.type == "CAMPAIGN"
    assert cert.campaign.campaign_type == "SEARCH"
    assert cert.reviewer.id == REVIEWER and cert.reviewer.type == "IDENTITY"
    assert cert.decisions_total == len(life.expected) and cert.decisions_made == 0
    assert cert.identities_total == len(life.subjects) and cert.identities_completed == 0
    assert cert.completed is False and cert.signed is None
    assert cert.due == life.deadline, (cert.due, life.deadline)

    # The administrator sees it too (no reviewer-identity), and other reviewers do not.
    admin_list = sdk.review("admin").list_identity_certifications(
        filters=f'campaign.id eq "{life.search_id}"')
    assert [c.id for c in admin_list] == [cert.id]
    assert sdk.my_certifications("other", life.search_id) == []
    life.cert_id = cert.id
    life.active = True


def step_certification_reads(sdk: Sdk, life: Life) -> None:
    life.need("cert_id")
    review = sdk.review()
    cert = review.get_identity_certification(life.cert_id)
    assert isinstance(cert, review.model("IdentityCertificationDto"))
    assert cert.id == life.cert_id and cert.decisions_total == len(life.expected)

    reviewers = sdk.certifications().list_certification_reviewers(life.cert_id)
    me = sdk.attest.demo.identities[REVIEWER]
    assert [(r.id, r.type) for r in reviewers] == [(REVIEWER, "IDENTITY")], reviewers
    assert reviewers[0].email == me["email"], reviewers[0]
    assert isinstance(reviewers[0], sdk.certifications().model("IdentityReferenceWithNameAndEmail"))

    items = all_items(sdk, "reviewer", life.cert_id)
    assert counter(items) == expected_counter(life.expected)
    assert len({i.id for i in items}) == len(items)
    for i in items:
        assert isinstance(i, review.model("AccessReviewItem"))
        assert i.completed is False and i.decision is None
        kind = val(i.access_summary.access.type)
        detail = {"ENTITLEMENT": i.access_summary.entitlement,
                  "ACCESS_PROFILE": i.access_summary.access_profile,
                  "ROLE": i.access_summary.role}[kind]
        assert detail is not None and detail.id == i.access_summary.access.id, i
        assert i.identity_summary.id, i
    life.items = items

    # The narrowing parameters: items of any of the listed access ids of one kind.
    for kind, param in (("ENTITLEMENT", "entitlements"), ("ACCESS_PROFILE", "access_profiles"),
                        ("ROLE", "roles")):
        ids = sorted({a.access_id for a in life.expected if a.access_type == kind})[:2]
        narrowed = all_items(sdk, "reviewer", life.cert_id, **{param: ",".join(ids)})
        want = [a for a in life.expected if a.access_type == kind and a.access_id in ids]
        assert counter(narrowed) == expected_counter(want), (param, ids)
    # Only one of them at a time.
    expect_error(review, 400, lambda: review.list_identity_access_review_items(
        life.cert_id, entitlements="x", roles="y"))

    # Item permissions: an entitlement's are the bundle's; other kinds have none.
    perms = sdk.attest.demo.permissions
    with_perms = next(i for i in items if val(i.access_summary.access.type) == "ENTITLEMENT"
                      and perms.get(i.access_summary.access.id))
    certs = sdk.certifications()
    got = certs.get_identity_certification_item_permissions(life.cert_id, with_perms.id)
    assert all(isinstance(p, certs.model("PermissionDto")) for p in got)
    want = perms[with_perms.access_summary.access.id]
    assert sorted((p.target, p.rights) for p in got) == sorted(want), got
    profile = next(i for i in items if val(i.access_summary.access.type) == "ACCESS_PROFILE")
    assert certs.get_identity_certification_item_permissions(life.cert_id, profile.id) == []


def step_summaries(sdk: Sdk, life: Life) -> None:
    life.need("cert_id", "items")
    s = sdk.summaries()
    summaries = s.get_identity_summaries(life.cert_id)
    assert sorted(x.identity_id for x in summaries) == sorted(life.subjects)
    for x in summaries:
        assert isinstance(x, s.model("CertificationIdentitySummary"))
        assert x.completed is False and x.id and x.name
        one = s.get_identity_summary(life.cert_id, x.id)
        assert (one.id, one.identity_id, one.name) == (x.id, x.identity_id, x.name)
        life.summary_ids[x.identity_id] = x.id
    expect_error(s, 404, lambda: s.get_identity_summary(life.cert_id, MISSING))

    for kind in ACCESS_TYPES:
        got = s.get_identity_access_summaries(life.cert_id, kind)
        assert all(isinstance(a, s.model("AccessSummary")) for a in got)
        assert {val(a.access.type) for a in got} <= {kind}, got
        want = {a.access_id for a in life.expected if a.access_type == kind}
        assert sorted(a.access.id for a in got) == sorted(want), kind

    summary = s.get_identity_decision_summary(life.cert_id)
    assert isinstance(summary, s.model("IdentityCertDecisionSummary"))
    totals = Counter(a.access_type for a in life.expected)
    assert summary.entitlement_decisions_total == totals["ENTITLEMENT"]
    assert summary.access_profile_decisions_total == totals["ACCESS_PROFILE"]
    assert summary.role_decisions_total == totals["ROLE"]
    assert summary.account_decisions_total == 0
    assert (summary.entitlement_decisions_made, summary.access_profile_decisions_made,
            summary.role_decisions_made, summary.entitlements_approved,
            summary.entitlements_revoked) == (0, 0, 0, 0, 0)


def step_decide(sdk: Sdk, life: Life) -> None:
    life.need("cert_id", "items", "summary_ids")
    review = sdk.review()
    decision = review.model("ReviewDecision")
    a, b = life.subjects[0], life.subjects[1]
    a_items = [i for i in life.items if i.identity_summary.identity_id == a]
    revoked = next(i for i in life.items if i.identity_summary.identity_id == b
                   and val(i.access_summary.access.type) == "ENTITLEMENT")

    # Another reviewer may not decide here.
    other = sdk.review("other")
    expect_error(other, 403, lambda: other.make_identity_decision(
        life.cert_id, [decision(id=revoked.id, decision="REVOKE", bulk=False)]),
        statuses=(403, 404))

    cert = review.make_identity_decision(life.cert_id, [
        decision(id=i.id, decision="APPROVE", bulk=True) for i in a_items])
    assert isinstance(cert, review.model("IdentityCertificationDto"))
    assert cert.decisions_made == len(a_items)
    cert = review.make_identity_decision(life.cert_id, [
        decision(id=revoked.id, decision="REVOKE", bulk=False, comments="no longer needed")])
    assert cert.decisions_made == len(a_items) + 1
    assert cert.identities_completed == 1 and cert.completed is False
    assert val(cert.phase) == "ACTIVE"

    # The SDK itself refuses more than 250 decisions; sent anyway, Attest refuses them too and
    # changes nothing.
    many = [decision(id=i.id, decision="APPROVE", bulk=True) for i in life.items] * 30
    many = many[:DECIDE_LIMIT + 1]
    with pytest.raises(pydantic.ValidationError):
        review.make_identity_decision(life.cert_id, many)
    expect_error(review, 400, lambda: review.unchecked("make_identity_decision")(
        life.cert_id, many))
    assert review.get_identity_certification(life.cert_id).decisions_made == len(a_items) + 1

    by_id = {i.id: i for i in all_items(sdk, "reviewer", life.cert_id)}
    assert all(val(by_id[i.id].decision) == "APPROVE" and by_id[i.id].completed for i in a_items)
    assert val(by_id[revoked.id].decision) == "REVOKE"
    assert by_id[revoked.id].comments == "no longer needed"

    s = sdk.summaries()
    assert s.get_identity_summary(life.cert_id, life.summary_ids[a]).completed is True
    assert s.get_identity_summary(life.cert_id, life.summary_ids[b]).completed is False
    summary = s.get_identity_decision_summary(life.cert_id)
    approved = Counter(val(i.access_summary.access.type) for i in a_items)
    assert summary.entitlements_approved == approved["ENTITLEMENT"]
    assert summary.access_profiles_approved == approved["ACCESS_PROFILE"]
    assert summary.roles_approved == approved["ROLE"]
    assert summary.entitlements_revoked == 1
    assert summary.access_profiles_revoked == 0 and summary.roles_revoked == 0
    assert summary.entitlement_decisions_made == approved["ENTITLEMENT"] + 1
    assert summary.role_decisions_made == approved["ROLE"]
    life.decided = True


def step_reassign(sdk: Sdk, life: Life) -> None:
    life.need("decided")
    review = sdk.review()
    ref = review.model("ReassignReference")
    body = review.model("ReviewReassign")
    b = life.subjects[1]
    moved = next(i for i in all_items(sdk, "reviewer", life.cert_id)
                 if i.identity_summary.identity_id == b and not i.completed)
    reason = "compat: moved one item"
    cert = review.reassign_identity_certifications(
        life.cert_id, body(reassign=[ref(id=moved.id, type="ITEM")], reassign_to=OTHER,
                           reason=reason))
    assert isinstance(cert, review.model("IdentityCertificationDto"))
    mine = review.get_identity_certification(life.cert_id)
    assert mine.decisions_total == len(life.expected) - 1

    theirs = sdk.my_certifications("other", life.search_id)
    assert len(theirs) == 1, theirs
    other = theirs[0]
    assert other.reviewer.id == OTHER and other.decisions_total == 1
    assert other.reassignment is not None, other
    assert other.reassignment.var_from.id == life.cert_id, other.reassignment
    assert other.reassignment.comment == reason
    got = all_items(sdk, "other", other.id)
    assert [(i.access_summary.access.id, i.identity_summary.identity_id) for i in got] == \
        [(moved.access_summary.access.id, b)]
    life.reassigned_item = moved
    life.other_cert_id = other.id

    # Another reviewer's certification: not readable by this one.
    expect_error(review, 403, lambda: review.get_identity_certification(other.id),
                 statuses=(403, 404))


def step_reassign_async(sdk: Sdk, life: Life) -> None:
    life.need("other_cert_id")
    review = sdk.review()
    certs = sdk.certifications()
    ref = certs.model("ReassignReference")
    body = certs.model("ReviewReassign")
    c = life.subjects[2]
    c_items = [a for a in life.expected if a.holder == c]
    task = certs.submit_reassign_certs_async(life.cert_id, body(
        reassign=[ref(id=life.summary_ids[c], type="IDENTITY_SUMMARY")], reassign_to=OTHER,
        reason="compat: moved one identity"))
    assert task.type == "REASSIGN", task
    assert task.status in PENDING_TASK_STATUSES | {"SUCCESS"}, task
    assert task.id, task

    if sdk.beta:
        assert isinstance(task, certs.model("IdentityCertificationTask"))
        assert task.certification_id == life.cert_id
        pending = certs.get_identity_certification_pending_tasks(life.cert_id)
        assert all(t.status in PENDING_TASK_STATUSES and t.certification_id == life.cert_id
                   for t in pending), pending
        done = wait_for("reassign task", lambda: certs.get_identity_certification_task_status(
            life.cert_id, task.id), lambda t: t.status == "SUCCESS", lambda t: t.status == "ERROR")
        assert isinstance(done, certs.model("IdentityCertificationTask"))
        assert done.id == task.id and done.type == "REASSIGN"
        assert task.id not in [t.id for t in certs.get_identity_certification_pending_tasks(
            life.cert_id)]
        expect_error(certs, 404, lambda: certs.get_identity_certification_task_status(
            life.cert_id, MISSING))
    else:
        assert isinstance(task, certs.model("CertificationTask"))
        assert task.target_type == "CERTIFICATION" and task.target_id == life.cert_id, task
        pending = certs.get_pending_certification_tasks(filters=f'targetId eq "{life.cert_id}"')
        assert all(t.status in PENDING_TASK_STATUSES and t.target_id == life.cert_id
                   for t in pending), pending
        done = wait_for("reassign task", lambda: certs.get_certification_task(task.id),
                        lambda t: t.status == "SUCCESS", lambda t: t.status == "ERROR")
        assert done.id == task.id and done.type == "REASSIGN" and not done.errors
        assert task.id not in [t.id for t in certs.get_pending_certification_tasks(
            filters=f'targetId eq "{life.cert_id}"')]

    mine = review.get_identity_certification(life.cert_id)
    assert mine.decisions_total == len(life.expected) - 1 - len(c_items)
    assert mine.identities_total == 2
    other = sdk.review("other").get_identity_certification(life.other_cert_id)
    assert other.decisions_total == 1 + len(c_items) and other.identities_total == 2
    moved = all_items(sdk, "other", life.other_cert_id)
    assert counter(moved) == expected_counter(
        c_items + [a for a in life.expected if a.holder == life.subjects[1]
                   and a.access_id == life.reassigned_item.access_summary.access.id])
    life.reassigned = True


def step_pending_tasks_of_me(sdk: Sdk, life: Life) -> None:
    """`GET /certification-tasks?reviewer-identity=me`: "any authenticated token can call this
    API, but only certification tasks you are authorized to review will be returned" (spec)."""
    life.need("cert_id")
    review = sdk.review()
    mine = review.get_pending_certification_tasks(reviewer_identity="me")
    assert all(isinstance(t, review.model("CertificationTask")) for t in mine)
    assert all(t.status in PENDING_TASK_STATUSES for t in mine), mine
    other = sdk.review("other").get_pending_certification_tasks(reviewer_identity="me")
    assert life.cert_id not in {t.target_id for t in other}, other


def step_sign_off(sdk: Sdk, life: Life) -> None:
    life.need("reassigned")
    review = sdk.review()
    expect_error(review, 400, lambda: review.sign_off_identity_certification(life.cert_id))

    decide_all(sdk, "reviewer", life.cert_id)
    signed = review.sign_off_identity_certification(life.cert_id)
    assert isinstance(signed, review.model("IdentityCertificationDto"))
    assert val(signed.phase) == "SIGNED" and signed.signed is not None
    assert signed.completed is True and signed.decisions_made == signed.decisions_total
    decision = review.model("ReviewDecision")
    first = life.items[0]
    expect_error(review, 400, lambda: review.make_identity_decision(
        life.cert_id, [decision(id=first.id, decision="REVOKE", bulk=False)]))
    campaign = sdk.get_campaign(life.search_id)
    assert campaign.status == "ACTIVE" and campaign.completed_certifications == 1
    assert campaign.total_certifications == 2

    decide_all(sdk, "other", life.other_cert_id, decision="REVOKE")
    sdk.review("other").sign_off_identity_certification(life.other_cert_id)
    done = wait_status(sdk, life.search_id, "COMPLETED")
    assert done.completed_certifications == 2 == done.total_certifications

    summary = sdk.summaries().get_identity_decision_summary(life.cert_id)
    made = (summary.entitlement_decisions_made + summary.access_profile_decisions_made
            + summary.role_decisions_made)
    assert made == signed.decisions_total

    if sdk.beta:
        # The beta list's CertificationDto requires `signed`: signed certifications parse.
        certs = sdk.certifications()
        listed = certs.list_certifications(reviewer_identitiy="me",
                                           filters=f'campaignRef.id eq "{life.search_id}"')
        assert len(listed) == 1, listed
        dto = listed[0]
        assert isinstance(dto, certs.model("CertificationDto"))
        assert dto.campaign_ref.id == life.search_id and val(dto.phase) == "SIGNED"
        assert dto.reviewer.id == REVIEWER and dto.signed is not None
        assert dto.decisions_made == dto.decisions_total == signed.decisions_total
        assert dto.entities_total == 2 and dto.entities_completed == 2
    life.completed.append(life.search_id)


# --- the MANAGER life ---------------------------------------------------------------------------


def step_manager_campaign(sdk: Sdk, life: Life) -> None:
    demo = sdk.attest.demo
    scope = demo.manager_scope()
    api = sdk.campaigns()
    deadline = (now() + timedelta(days=3)).replace(microsecond=0)
    body = api.model("Campaign").from_dict({
        "name": f"compat {sdk.name} manager {uuid.uuid4().hex[:8]}",
        "description": "every manager reviews their direct reports",
        "type": "MANAGER",
        "deadline": iso(deadline),
        "emailNotificationEnabled": False,
        "autoRevokeAllowed": True,
        "recommendationsEnabled": True,
    })
    created = api.create_campaign(body)
    assert created.status == "PENDING" and created.type == "MANAGER"
    life.manager_id = created.id
    staged = wait_status(sdk, created.id, "STAGED")
    assert staged.total_certifications == len(scope), (staged.total_certifications, len(scope))
    api.start_campaign(created.id, api.model("ActivateCampaignOptions")())
    wait_status(sdk, created.id, "ACTIVE")

    # The administrator sees every certification; each manager reviews their reports' access.
    listed: List[Any] = []
    admin = sdk.review("admin")
    while True:
        page = admin.list_identity_certifications(
            filters=f'campaign.id eq "{created.id}"', limit=250, offset=len(listed))
        listed += page
        if len(page) < 250:
            break
    assert sorted(c.reviewer.id for c in listed) == sorted(scope)
    # Paging with count=true: a page of 5 and X-Total-Count for the whole campaign.
    page = admin.list_identity_certifications_with_http_info(
        filters=f'campaign.id eq "{created.id}"', limit=5, offset=5, count=True,
        sorters="name")
    assert len(page.data) == 5
    total = {k.lower(): v for k, v in (page.headers or {}).items()}.get("x-total-count")
    assert total == str(len(scope)), page.headers
    assert {c.reviewer.id: c.decisions_total for c in listed} == \
        {m: len(items) for m, items in scope.items()}

    # `me`: the manager sees exactly their own; E000050 (no reports) sees none.
    mine = sdk.my_certifications("manager", created.id)
    assert [(c.reviewer.id, c.identities_total) for c in mine] == \
        [(MANAGER, len(demo.reports[MANAGER]))], mine
    assert sdk.my_certifications("reviewer", created.id) == []
    review = sdk.review()
    expect_error(review, 403, lambda: review.get_identity_certification(mine[0].id),
                 statuses=(403, 404))

    # Completing is for past-due campaigns only.
    options = api.model("CampaignCompleteOptions")(auto_complete_action="REVOKE")
    expect_error(api, 400, lambda: api.complete_campaign(created.id, options))

    # The administrator moves the manager's certification to another reviewer.
    move = api.model("AdminReviewReassign").from_dict({
        "certificationIds": [mine[0].id],
        "reassignTo": {"id": OTHER, "type": "IDENTITY"},
        "reason": "compat: the manager is away",
    })
    task = api.move(created.id, move)
    assert isinstance(task, api.model("CertificationTask"))
    assert task.type == "ADMIN_REASSIGN", task
    tasks = sdk.review("admin")
    done = wait_for("admin reassign task", lambda: tasks.get_certification_task(task.id),
                    lambda t: t.status == "SUCCESS", lambda t: t.status == "ERROR")
    assert done.type == "ADMIN_REASSIGN" and not done.errors
    theirs = sdk.my_certifications("other", created.id)
    assert sum(c.decisions_total for c in theirs) == len(scope[MANAGER]), theirs
    assert sum(c.decisions_total for c in sdk.my_certifications("manager", created.id)) == 0

    # Bring the deadline forward (ACTIVE campaigns may change only it), let it pass, complete.
    due = now() + timedelta(seconds=2)
    ops = [{"op": "replace", "path": "/deadline", "value": iso(due)}]
    if sdk.beta:
        patched = api.update_campaign(created.id, ops)
    else:
        patched = api.update_campaign(
            created.id, [api.model("JsonPatchOperation").from_dict(o) for o in ops])
    assert abs((patched.deadline - due).total_seconds()) < 1, patched.deadline
    expect_error(api, 400, lambda: api.update_campaign(created.id, [
        {"op": "replace", "path": "/name", "value": "too late"}] if sdk.beta else
        [api.model("JsonPatchOperation").from_dict(
            {"op": "replace", "path": "/name", "value": "too late"})]))
    time.sleep(max(0.0, (due - now()).total_seconds()) + 0.3)
    api.complete_campaign(created.id, options)
    done = wait_status(sdk, created.id, "COMPLETED")
    # Undecided items were revoked: the moved certification is fully decided.
    for c in sdk.my_certifications("other", created.id):
        assert c.decisions_made == c.decisions_total, c
    life.completed.append(created.id)


def step_bulk_delete(sdk: Sdk, life: Life) -> None:
    if not life.completed:
        pytest.skip("no campaign to delete")
    api = sdk.campaigns()
    reviewer = sdk.campaigns("reviewer")
    request = api.model("CampaignsDeleteRequest")
    expect_error(reviewer, 403, lambda: reviewer.delete_campaigns(request(ids=life.completed)))
    e = expect_error(api, 404, lambda: api.delete_campaigns(
        request(ids=life.completed + [MISSING])), statuses=(400, 404))
    assert MISSING in e.body, e.body
    assert sdk.get_campaign(life.completed[0]).status == "COMPLETED"  # nothing deleted

    api.delete_campaigns(request(ids=life.completed))
    for cid in life.completed:
        wait_for(f"campaign {cid} deleted", lambda: _gone(sdk, cid), bool)
    ids = ", ".join(f'"{c}"' for c in life.completed)
    assert api.get_active_campaigns(filters=f"id in ({ids})") == []


def _gone(sdk: Sdk, campaign_id: str) -> bool:
    api = sdk.campaigns()
    try:
        sdk.get_campaign(campaign_id)
        return False
    except api.exceptions.NotFoundException:
        return True
