"""Campaign templates and schedules through SailPoint Python SDK 1.4.2, once per module family:
`v3`, `v2024` and `beta` (`CertificationCampaignsApi.*_campaign_template*`; see
common/campaign_templates.py for the steps).
"""

import importlib

import pytest

import campaign_templates as steps
from campaign_life import Api
from campaign_templates import Templates, TemplatesSdk

# SailPoint has deprecated every beta campaign operation; the SDK warns.
pytestmark = pytest.mark.filterwarnings("ignore:.* is deprecated.:DeprecationWarning")

#: Model names that the beta module spells differently.
BETA_MODELS = {"SlimCampaign": "Slimcampaign"}


class Sdk1(TemplatesSdk):
    def __init__(self, attest, name: str) -> None:
        super().__init__(attest)
        self.name = name
        self.beta = name == "beta"

    def make(self, kind, configuration) -> Api:
        assert kind == "campaigns", kind
        client = importlib.import_module(f"sailpoint.{self.name}.api_client").ApiClient(
            configuration)
        module = importlib.import_module(f"sailpoint.{self.name}.api.certification_campaigns_api")
        return Api(f"sailpoint.{self.name}", module.CertificationCampaignsApi(client), "",
                   BETA_MODELS if self.beta else {})


@pytest.fixture(scope="module", params=["v3", "v2024", "beta"])
def sdk(request, attest):
    return Sdk1(attest, request.param)


@pytest.fixture(scope="module")
def made(sdk):
    return Templates()


def test_01_create(sdk, made):
    steps.step_create(sdk, made)


def test_02_list_and_get(sdk, made):
    steps.step_list_and_get(sdk, made)


def test_03_json_patch(sdk, made):
    steps.step_patch(sdk, made)


def test_04_schedule_set_get_replace_delete(sdk, made):
    steps.step_schedule(sdk, made)


def test_05_generate_now(sdk, made):
    steps.step_generate(sdk, made)


def test_06_only_administrators(sdk, made):
    steps.step_refusals(sdk, made)


def test_07_delete(sdk, made):
    steps.step_delete(sdk, made)
