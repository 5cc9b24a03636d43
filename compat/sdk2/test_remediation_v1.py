"""The remediation scan through SailPoint Python SDK 2.1.72's service-versioned module
`sailpoint.certification_campaigns` (`start_campaign_remediation_scan_v1`, served at
`/campaigns/v1/{id}/run-remediation-scan`). The scenario is common/remediation.py: a campaign's
revocations are released, the demo bundle is re-imported without one identity's access, and
the scan marks that identity's orders VERIFIED and the other's STILL_PRESENT.
"""

import importlib

import pytest

from campaign_life import Api
from remediation import AUDITOR, RemediationScan


@pytest.fixture(scope="module")
def scan(attest):
    from sailpoint.configuration import Configuration, ConfigurationParams

    clients = {"admin": attest.admin, "reviewer": attest.reviewer,
               "auditor": attest.pat(AUDITOR, ("REPORT_ADMIN",))}
    apis = {}

    def api(who: str) -> Api:
        if who not in apis:
            params = ConfigurationParams()
            params.base_url = attest.url
            params.client_id = clients[who].client_id
            params.client_secret = clients[who].client_secret
            package = "sailpoint.certification_campaigns"
            client = importlib.import_module(f"{package}.api_client").ApiClient(
                Configuration(params))
            module = importlib.import_module(f"{package}.api.certification_campaigns_api")
            apis[who] = Api(package, module.CertificationCampaignsApi(client), "_v1", {})
        return apis[who]

    scenario = RemediationScan(attest, "v1", api)
    yield scenario
    scenario.restore()


def test_01_revocations_become_released_orders(scan):
    orders = scan.revoked_and_released()
    assert orders and all(o["released"] and o["status"] == "PENDING" for o in orders), orders


def test_02_scan_refuses_ordinary_users_and_unknown_campaigns(scan):
    if scan.campaign is None:
        pytest.skip("no campaign (an earlier step failed)")
    scan.scan_refusals()


def test_03_scan_after_reimport_verifies_what_is_gone(scan):
    if scan.campaign is None:
        pytest.skip("no campaign (an earlier step failed)")
    scan.reimport_without_first_subject()
    scan.scan_and_verify()
