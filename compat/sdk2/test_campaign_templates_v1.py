"""Campaign templates and schedules through SailPoint Python SDK 2.1.72's service-versioned
module `sailpoint.certification_campaigns` (`/campaign-templates/v1`, operations `..._v1`; the
schedule model is `Schedule2`). See common/campaign_templates.py for the steps.
"""

import importlib

import pytest

import campaign_templates as steps
from campaign_life import Api
from campaign_templates import Templates, TemplatesSdk

#: Model names that SDK 2.x spells differently from 1.x.
V1_MODELS = {"Campaign": "Campaign2"}


class Sdk2(TemplatesSdk):
    name = "v1"
    schedule_model = "Schedule2"

    def make(self, kind, configuration) -> Api:
        assert kind == "campaigns", kind
        package = "sailpoint.certification_campaigns"
        client = importlib.import_module(f"{package}.api_client").ApiClient(configuration)
        module = importlib.import_module(f"{package}.api.certification_campaigns_api")
        return Api(package, module.CertificationCampaignsApi(client), "_v1", V1_MODELS)


@pytest.fixture(scope="module")
def sdk(attest):
    return Sdk2(attest)


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
