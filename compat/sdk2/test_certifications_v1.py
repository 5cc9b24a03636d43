"""SailPoint Python SDK 2.1.72, module `sailpoint.certifications` (the service-versioned
Certifications v1 API), against Attest's `/certifications/v1` and `/certification-tasks/v1`.

Configured as the SDK's documentation shows: a `sailpoint.configuration.Configuration` built from
`ConfigurationParams` (base_url, client_id, client_secret). Building it fetches the token
(`POST {base_url}/oauth/token`, form-encoded client-credentials grant); the module's `ApiClient`
then sends `Authorization: Bearer <token>` to `{base_url}/certifications/v1/...` (the version is
part of each operation's path, and operations are named `..._v1`).
"""

import json

import pytest
from sailpoint.certifications.api.certifications_api import CertificationsApi
from sailpoint.certifications.api_client import ApiClient
from sailpoint.certifications.exceptions import (
    ApiException,
    NotFoundException,
    UnauthorizedException,
)
from sailpoint.certifications.models.error_response_dto import ErrorResponseDto
from sailpoint.certifications.models.list_identity_certifications_v1401_response import (
    ListIdentityCertificationsV1401Response,
)
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

MISSING = "0123456789abcdef0123456789abcdef"  # no certification (or task) has this id
AUTHORITIES = {"admin": ["ORG_ADMIN"], "reviewer": []}

# The operations that read one certification or one certification task by id.
READS = {
    "certification": (
        lambda api: api.get_identity_certification_v1(id=MISSING),
        f"/certifications/v1/{MISSING}",
    ),
    "certification-task": (
        lambda api: api.get_certification_task_v1(id=MISSING),
        f"/certification-tasks/v1/{MISSING}",
    ),
}


def configure(attest, client, secret=None) -> Configuration:
    params = ConfigurationParams()
    params.base_url = attest.url
    params.client_id = client.client_id
    params.client_secret = secret or client.client_secret
    return Configuration(params)


def get_missing_certification(api_client):
    return CertificationsApi(api_client).get_identity_certification_v1(id=MISSING)


@pytest.mark.parametrize("who", ["admin", "reviewer"])
def test_client_credentials_token_is_sent_as_bearer(attest, who, monkeypatch):
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

    with ApiClient(config) as api_client:
        sent = spy_api_requests(api_client)
        with pytest.raises(ApiException) as info:
            get_missing_certification(api_client)
    assert info.value.status != 401, info.value.body  # the token is accepted
    assert len(sent) == 1
    assert sent[0].url == f"{attest.url}/certifications/v1/{MISSING}"
    assert sent[0].headers["Authorization"] == f"Bearer {config.access_token}"


def test_wrong_client_secret_is_refused(attest, monkeypatch, capsys):
    token_requests = spy_token_requests(monkeypatch)
    config = configure(attest, attest.admin, secret="0" * 64)

    # The SDK reports a 401 from the token endpoint this way (and only a 401): it catches its own
    # exception, prints it and leaves the configuration without a token.
    out = capsys.readouterr().out
    assert "Unable to fetch access token. Unauthorized when retrieving access token." in out
    assert config.access_token is None
    assert token_requests[0].status == 401
    assert json.loads(token_requests[0].body)["error"] == "invalid_client"


@pytest.mark.parametrize("read", list(READS))
def test_unknown_id_is_a_404_error_response_dto(attest, read):
    call, path = READS[read]
    with ApiClient(configure(attest, attest.admin)) as api_client:
        sent = spy_api_requests(api_client)
        with pytest.raises(NotFoundException) as info:
            call(CertificationsApi(api_client))
    assert sent[0].url == attest.url + path
    e = info.value
    assert e.status == 404
    dto = assert_error_response_dto(e.body, e.headers, "404 Not found")
    # The SDK parsed the body into its own model.
    assert isinstance(e.data, ErrorResponseDto), e.body
    assert e.data.detail_code == "404 Not found"
    assert e.data.tracking_id == dto["trackingId"]
    assert e.data.messages[0].locale == "en-US"


@pytest.mark.parametrize("kind", BAD_TOKENS)
def test_refused_token_is_a_401(attest, kind):
    config = configure(attest, attest.admin)
    config.access_token = bad_token(attest, kind, config.access_token)
    with ApiClient(config) as api_client:
        sent = spy_api_requests(api_client)
        with pytest.raises(UnauthorizedException) as info:
            get_missing_certification(api_client)
    assert sent[0].headers["Authorization"] == f"Bearer {config.access_token}"
    e = info.value
    assert e.status == 401
    text = assert_unauthorized_body(e.body, kind)
    # SDK 2.x types the 401 model's `error` loosely and parses SailPoint's string.
    assert isinstance(e.data, ListIdentityCertificationsV1401Response), e.body
    assert e.data.error == text
