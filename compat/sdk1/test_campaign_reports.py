"""Campaign reports through SailPoint Python SDK 1.4.2, once per module family: `v3`, `v2024`
and `beta` (see common/campaign_reports.py for the steps).

Reports are run, listed and configured with each family's `CertificationCampaignsApi`
(`/v3`, `/v2024`, `/beta`), and downloaded with its `ReportsDataExtractionApi.get_report`
(`GET /{family}/reports/{taskResultId}?fileFormat=csv`). The beta module has no
`ReportsDataExtractionApi`, so the beta suite downloads through v3's; it also reviews (decides,
signs off) through the v3 `CertificationsApi`, as the campaign life does.
"""

import importlib

import pytest

import campaign_reports as steps
from campaign_life import Api, Sdk
from campaign_reports import Reports

pytestmark = pytest.mark.filterwarnings("ignore:.* is deprecated.:DeprecationWarning")

API_CLASSES = {
    "campaigns": ("certification_campaigns_api", "CertificationCampaignsApi"),
    "review": ("certifications_api", "CertificationsApi"),
    "reports": ("reports_data_extraction_api", "ReportsDataExtractionApi"),
}

BETA_MODELS = {"SlimCampaign": "Slimcampaign"}


class Sdk1Reports(Sdk):
    def __init__(self, attest, name: str) -> None:
        super().__init__(attest)
        self.name = name
        self.beta = name == "beta"

    def make(self, kind, configuration) -> Api:
        family = self.name
        if self.beta and kind in ("review", "reports"):
            family = "v3"
        module, cls = API_CLASSES[kind]
        client = importlib.import_module(f"sailpoint.{family}.api_client").ApiClient(configuration)
        api = getattr(importlib.import_module(f"sailpoint.{family}.api.{module}"), cls)(client)
        return Api(f"sailpoint.{family}", api, "", BETA_MODELS if family == "beta" else {})

    def reports(self, who: str = "admin") -> Api:
        return self.api("reports", who)


@pytest.fixture(scope="module", params=["v3", "v2024", "beta"])
def sdk(request, attest):
    return Sdk1Reports(attest, request.param)


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
