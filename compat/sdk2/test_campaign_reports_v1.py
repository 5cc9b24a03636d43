"""Campaign reports through SailPoint Python SDK 2.1.72's service-versioned modules (see
common/campaign_reports.py for the steps): run, list and configure with
`sailpoint.certification_campaigns` (`/campaigns/v1`), review with `sailpoint.certifications`
(`/certifications/v1`), download with `sailpoint.reports_data_extraction`'s `get_report_v1`
(`GET /reports/v1/{taskResultId}?fileFormat=csv`). Every operation is named `..._v1`.
"""

import importlib

import pytest

import campaign_reports as steps
from campaign_life import Api, Sdk
from campaign_reports import Reports

API_CLASSES = {
    "campaigns": ("certification_campaigns", "certification_campaigns_api",
                  "CertificationCampaignsApi"),
    "review": ("certifications", "certifications_api", "CertificationsApi"),
    "reports": ("reports_data_extraction", "reports_data_extraction_api",
                "ReportsDataExtractionApi"),
}

V1_MODELS = {"Campaign": "Campaign2"}


class Sdk2Reports(Sdk):
    name = "v1"

    def make(self, kind, configuration) -> Api:
        package, module, cls = API_CLASSES[kind]
        client = importlib.import_module(f"sailpoint.{package}.api_client").ApiClient(configuration)
        api = getattr(importlib.import_module(f"sailpoint.{package}.api.{module}"), cls)(client)
        return Api(f"sailpoint.{package}", api, "_v1", V1_MODELS)

    def reports(self, who: str = "admin") -> Api:
        return self.api("reports", who)


@pytest.fixture(scope="module")
def sdk(attest):
    return Sdk2Reports(attest)


@pytest.fixture(scope="module")
def r(sdk):
    return Reports()


def test_01_campaign(sdk, r):
    steps.step_campaign(sdk, r)


def test_02_reports_configuration(sdk, r):
    steps.step_configuration(sdk, r)


def test_03_decide_and_sign_off(sdk, r):
    steps.step_decide_and_sign(sdk, r)


def test_04_run_and_list_every_report(sdk, r):
    steps.step_run_and_list(sdk, r)


def test_05_download_each_report_as_csv(sdk, r):
    steps.step_download(sdk, r)


def test_06_campaign_csv(sdk, r):
    steps.step_campaign_csv(sdk, r)


def test_07_reset_configuration(sdk, r):
    steps.step_reset_configuration(sdk, r)
