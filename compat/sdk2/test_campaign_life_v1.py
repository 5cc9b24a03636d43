"""A full campaign life through SailPoint Python SDK 2.1.72's service-versioned modules (see
common/campaign_life.py for the steps): `sailpoint.certification_campaigns` (`/campaigns/v1`),
`sailpoint.certifications` (`/certifications/v1`, `/certification-tasks/v1`) and
`sailpoint.certification_summaries` (`/certifications/v1/{id}/...-summar...`). Each module has
its own ApiClient; every operation is named `..._v1`.
"""

import importlib

import pytest

import campaign_life as steps
from campaign_life import Api, Life, Sdk

API_CLASSES = {
    "campaigns": ("certification_campaigns", "certification_campaigns_api",
                  "CertificationCampaignsApi"),
    "certifications": ("certifications", "certifications_api", "CertificationsApi"),
    "review": ("certifications", "certifications_api", "CertificationsApi"),
    "summaries": ("certification_summaries", "certification_summaries_api",
                  "CertificationSummariesApi"),
}

#: Model names that SDK 2.x spells differently from 1.x.
V1_MODELS = {"Campaign": "Campaign2", "PermissionDto": "PermissionDTO"}


class Sdk2(Sdk):
    name = "v1"

    def make(self, kind, configuration) -> Api:
        package, module, cls = API_CLASSES[kind]
        client = importlib.import_module(f"sailpoint.{package}.api_client").ApiClient(configuration)
        api = getattr(importlib.import_module(f"sailpoint.{package}.api.{module}"), cls)(client)
        return Api(f"sailpoint.{package}", api, "_v1", V1_MODELS)


@pytest.fixture(scope="module")
def sdk(attest):
    return Sdk2(attest)


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
