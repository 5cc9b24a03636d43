"""Campaign filters through SailPoint Python SDK 1.4.2, once per module family that has
CertificationCampaignFiltersApi: `v3`, `v2024` and `v2025` (beta publishes no filters); the steps
are in common/campaign_filters.py.
"""

import importlib

import pytest

import campaign_filters as steps
from campaign_filters import FilterLife
from campaign_life import Api, Sdk

API_CLASSES = {
    "filters": ("certification_campaign_filters_api", "CertificationCampaignFiltersApi"),
    "campaigns": ("certification_campaigns_api", "CertificationCampaignsApi"),
    "review": ("certifications_api", "CertificationsApi"),
}


class Sdk1(Sdk):
    def __init__(self, attest, name: str) -> None:
        super().__init__(attest)
        self.name = name

    def make(self, kind, configuration) -> Api:
        module, cls = API_CLASSES[kind]
        package = f"sailpoint.{self.name}"
        client = importlib.import_module(f"{package}.api_client").ApiClient(configuration)
        api = getattr(importlib.import_module(f"{package}.api.{module}"), cls)(client)
        return Api(package, api, "", {})

    def filters(self, who: str = "admin") -> Api:
        return self.api("filters", who)


@pytest.fixture(scope="module", params=["v3", "v2024", "v2025"])
def sdk(request, attest):
    return Sdk1(attest, request.param)


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
