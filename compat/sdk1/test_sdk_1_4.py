"""SailPoint Python SDK 1.4.2, modules `sailpoint.v3`, `sailpoint.v2024` and `sailpoint.beta`,
against Attest's `/v3`, `/v2024` and `/beta` APIs.

Configured as the SDK's documentation shows: a `sailpoint.configuration.Configuration` built from
`ConfigurationParams` (base_url, client_id, client_secret). Building it fetches the token
(`POST {base_url}/oauth/token`, form-encoded client-credentials grant); each module's `ApiClient`
then sends `Authorization: Bearer <token>` to `{base_url}/<module>/...`. The three modules are
generated from the same templates, so every test runs once per module.
"""

import importlib
import json
from dataclasses import dataclass

import pytest
from sailpoint.configuration import Configuration, ConfigurationParams

from attest_server import (
    BAD_TOKENS,
    assert_error_response_dto,
    assert_token_response,
    assert_unauthorized_body,
    bad_token,
    me,
    spy_api_requests,
    spy_token_requests,
)

MISSING = "0123456789abcdef0123456789abcdef"  # no certification has this id
AUTHORITIES = {"admin": ["ORG_ADMIN"], "reviewer": []}

# SailPoint has deprecated every beta certifications operation; the SDK warns on each call.
pytestmark = pytest.mark.filterwarnings(
    "ignore:GET /certifications.* is deprecated:DeprecationWarning"
)


@dataclass(frozen=True)
class Family:
    """One SDK module and the URL family it calls."""

    name: str

    def _module(self, sub):
        return importlib.import_module(f"sailpoint.{self.name}.{sub}")

    @property
    def api_client(self):
        return self._module("api_client").ApiClient

    @property
    def exceptions(self):
        return self._module("exceptions")

    @property
    def error_response_dto(self):
        return self._module("models.error_response_dto").ErrorResponseDto

    @property
    def missing_path(self):
        # The beta module has no "certification by id"; the closest read of one certification
        # is the status of one of its tasks: GET /beta/certifications/{id}/tasks/{taskId}.
        if self.name == "beta":
            return f"/beta/certifications/{MISSING}/tasks/{MISSING}"
        return f"/{self.name}/certifications/{MISSING}"

    def get_missing_certification(self, api_client):
        api = self._module("api.certifications_api").CertificationsApi(api_client)
        if self.name == "beta":
            return api.get_identity_certification_task_status(id=MISSING, task_id=MISSING)
        return api.get_identity_certification(id=MISSING)


@pytest.fixture(params=[Family("v3"), Family("v2024"), Family("beta")], ids=lambda f: f.name)
def family(request):
    return request.param


def configure(attest, client, secret=None) -> Configuration:
    params = ConfigurationParams()
    params.base_url = attest.url
    params.client_id = client.client_id
    params.client_secret = secret or client.client_secret
    return Configuration(params)


@pytest.mark.parametrize("who", ["admin", "reviewer"])
def test_client_credentials_token_is_sent_as_bearer(attest, family, who, monkeypatch):
    client = attest.client(who)
    token_requests = spy_token_requests(monkeypatch)
    config = configure(attest, client)

    assert len(token_requests) == 1
    req = token_requests[0]
    assert (req.method, req.url) == ("POST", f"{attest.url}/oauth/token")
    assert req.fields == {
        "grant_type": "client_credentials",
        "client_id": client.client_id,
        "client_secret": client.client_secret,
    }
    assert req.status == 200, req.body
    answer = assert_token_response(req.body, client.identity_id)
    assert config.access_token == answer["access_token"]
    who_am_i = me(attest, config.access_token)
    assert who_am_i["identityId"] == client.identity_id
    assert who_am_i["authorities"] == AUTHORITIES[who]

    with family.api_client(config) as api_client:
        sent = spy_api_requests(api_client)
        with pytest.raises(family.exceptions.ApiException) as info:
            family.get_missing_certification(api_client)
    assert info.value.status != 401, info.value.body  # the token is accepted
    assert len(sent) == 1
    assert sent[0].url == f"{attest.url}{family.missing_path}"
    assert sent[0].headers["Authorization"] == f"Bearer {config.access_token}"


def test_wrong_client_secret_is_refused(attest, monkeypatch, capsys):
    # The token fetch is the shared `sailpoint.configuration`, so it is tested once.
    token_requests = spy_token_requests(monkeypatch)
    config = configure(attest, attest.admin, secret="0" * 64)

    # The SDK reports a 401 from the token endpoint this way (and only a 401): it catches its own
    # exception, prints it and leaves the configuration without a token.
    out = capsys.readouterr().out
    assert "Unable to fetch access token. Unauthorized when retrieving access token." in out
    assert config.access_token is None
    assert token_requests[0].status == 401
    assert json.loads(token_requests[0].body)["error"] == "invalid_client"


def test_unknown_certification_is_a_404_error_response_dto(attest, family):
    with family.api_client(configure(attest, attest.admin)) as api_client:
        with pytest.raises(family.exceptions.NotFoundException) as info:
            family.get_missing_certification(api_client)
    e = info.value
    assert e.status == 404
    dto = assert_error_response_dto(e.body, e.headers, "404 Not found")
    # The SDK parsed the body into its own model.
    assert isinstance(e.data, family.error_response_dto), e.body
    assert e.data.detail_code == "404 Not found"
    assert e.data.tracking_id == dto["trackingId"]
    assert e.data.messages[0].locale == "en-US"


@pytest.mark.parametrize("kind", BAD_TOKENS)
def test_refused_token_is_a_401(attest, family, kind):
    config = configure(attest, attest.admin)
    config.access_token = bad_token(attest, kind, config.access_token)
    with family.api_client(config) as api_client:
        sent = spy_api_requests(api_client)
        with pytest.raises(family.exceptions.UnauthorizedException) as info:
            family.get_missing_certification(api_client)
    assert sent[0].headers["Authorization"] == f"Bearer {config.access_token}"
    e = info.value
    assert e.status == 401
    assert_unauthorized_body(e.body, kind)
    # e.data stays None: SDK 1.4.2 types the 401 model's `error` as an object, while SailPoint
    # (and Attest) send a string, so its parse of the body fails quietly.
