"""Campaign filters through SailPoint Python SDK 2.1.72's `sailpoint.certification_campaign_filters`
(`/campaign-filters/v1`), with the campaign made through `sailpoint.certification_campaigns` and
read through `sailpoint.certifications`; the steps are in common/campaign_filters.py.
"""

import importlib

import pytest

import campaign_filters as steps
from campaign_filters import FilterLife
from campaign_life import Api, Sdk

API_CLASSES = {
    "filters": ("certification_campaign_filters", "certification_campaign_filters_api",
                "CertificationCampaignFiltersApi"),
    "campaigns": ("certification_campaigns", "certification_campaigns_api",
                  "CertificationCampaignsApi"),
    "review": ("certifications", "certifications_api", "CertificationsApi"),
}

#: Model names that SDK 2.x spells differently from 1.x.
V1_MODELS = {"Campaign": "Campaign2"}


class Sdk2(Sdk):
    name = "v1"

    def make(self, kind, configuration) -> Api:
        package, module, cls = API_CLASSES[kind]
        client = importlib.import_module(f"sailpoint.{package}.api_client").ApiClient(configuration)
        api = getattr(importlib.import_module(f"sailpoint.{package}.api.{module}"), cls)(client)
        return Api(f"sailpoint.{package}", api, "_v1", V1_MODELS)

    def filters(self, who: str = "admin") -> Api:
        return self.api("filters", who)


@pytest.fixture(scope="module")
def sdk(attest):
    return Sdk2(attest)


@pytest.fixture(scope="module")
def life(sdk):
    return FilterLife()


def test_01_create(sdk, life):
    steps.step_create(sdk, life)


def test_02_read_and_list(sdk, life):
    steps.step_read_and_list(sdk, life)


def test_03_update(sdk, life):
    steps.step_update(sdk, life)


def test_04_campaign_with_filter(sdk, life):
    steps.step_campaign_with_filter(sdk, life)


def test_05_bulk_delete(sdk, life):
    steps.step_bulk_delete(sdk, life)
