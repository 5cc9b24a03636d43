"""A full campaign life through SailPoint Python SDK 1.4.2, once per module family: `v3`,
`v2024` and `beta` (see common/campaign_life.py for the steps).

The beta module has only part of the certification API (campaigns; the certification list,
reviewers, item permissions, reassign-async and the deprecated `tasks/{taskId}` and
`tasks-pending`); for the rest (a certification by id, its items, decide, reassign, sign-off,
summaries, `/certification-tasks`) the beta life uses the v3 module, which SailPoint's beta
documentation names as the equivalent.
"""

import importlib

import pytest

import campaign_life as steps
from campaign_life import Api, Life, Sdk

# SailPoint has deprecated every beta certification and campaign operation; the SDK warns.
pytestmark = pytest.mark.filterwarnings("ignore:.* is deprecated.:DeprecationWarning")

API_CLASSES = {
    "campaigns": ("certification_campaigns_api", "CertificationCampaignsApi"),
    "certifications": ("certifications_api", "CertificationsApi"),
    "review": ("certifications_api", "CertificationsApi"),
    "summaries": ("certification_summaries_api", "CertificationSummariesApi"),
}

#: Model names that the beta module spells differently.
BETA_MODELS = {
    "SlimCampaign": "Slimcampaign",
    "CampaignsDeleteRequest": "DeleteCampaignsRequest",
    "CampaignCompleteOptions": "CompleteCampaignOptions",
}


class Sdk1(Sdk):
    def __init__(self, attest, name: str) -> None:
        super().__init__(attest)
        self.name = name
        self.beta = name == "beta"

    def make(self, kind, configuration) -> Api:
        family = "v3" if self.beta and kind in ("review", "summaries") else self.name
        module, cls = API_CLASSES[kind]
        client = importlib.import_module(f"sailpoint.{family}.api_client").ApiClient(configuration)
        api = getattr(importlib.import_module(f"sailpoint.{family}.api.{module}"), cls)(client)
        return Api(f"sailpoint.{family}", api, "", BETA_MODELS if family == "beta" else {})


@pytest.fixture(scope="module", params=["v3", "v2024", "beta"])
def sdk(request, attest):
    return Sdk1(attest, request.param)


@pytest.fixture(scope="module")
def life(sdk):
    return Life()


def test_01_create_search_campaign(sdk, life):
    steps.step_create(sdk, life)


def test_02_generation_stages_it(sdk, life):
    steps.step_generate(sdk, life)


def test_02b_staged_certification_is_hidden_from_its_reviewer(sdk, life):
    steps.step_staged_hidden(sdk, life)


def test_03_json_patch_while_staged(sdk, life):
    steps.step_patch(sdk, life)


def test_04_activate(sdk, life):
    steps.step_activate(sdk, life)


def test_05_certification_reads(sdk, life):
    steps.step_certification_reads(sdk, life)


def test_06_summaries(sdk, life):
    steps.step_summaries(sdk, life)


def test_07_decide(sdk, life):
    steps.step_decide(sdk, life)


def test_08_reassign(sdk, life):
    steps.step_reassign(sdk, life)


def test_09_reassign_async(sdk, life):
    steps.step_reassign_async(sdk, life)


def test_09b_pending_tasks_of_me(sdk, life):
    steps.step_pending_tasks_of_me(sdk, life)


def test_10_sign_off_completes_the_campaign(sdk, life):
    steps.step_sign_off(sdk, life)


def test_11_manager_campaign_admin_reassign_and_complete(sdk, life):
    steps.step_manager_campaign(sdk, life)


def test_12_bulk_delete(sdk, life):
    steps.step_bulk_delete(sdk, life)
