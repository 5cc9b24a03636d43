"""SailPoint Python SDK 1.4.2, module `sailpoint.v3`, against Attest's `/v3` API.

Configured as the SDK's documentation shows: a `sailpoint.configuration.Configuration` built from
`ConfigurationParams` (base_url, client_id, client_secret). Building it fetches the token
(`POST {base_url}/oauth/token`, form-encoded client-credentials grant); the module's `ApiClient`
then sends `Authorization: Bearer <token>` to `{base_url}/v3/...`.
"""

import json

import pytest
from sailpoint.configuration import Configuration, ConfigurationParams
from sailpoint.v3.api.certifications_api import CertificationsApi
from sailpoint.v3.api_client import ApiClient
from sailpoint.v3.exceptions import ApiException, NotFoundException, UnauthorizedException
from sailpoint.v3.models.error_response_dto import ErrorResponseDto

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


def configure(attest, client, secret=None) -> Configuration:
    params = ConfigurationParams()
    params.base_url = attest.url
    params.client_id = client.client_id
    params.client_secret = secret or client.client_secret
    return Configuration(params)


def get_missing_certification(api_client):
    return CertificationsApi(api_client).get_identity_certification(id=MISSING)


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
    assert sent[0].url == f"{attest.url}/v3/certifications/{MISSING}"
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


def test_unknown_certification_is_a_404_error_response_dto(attest):
    with ApiClient(configure(attest, attest.admin)) as api_client:
        with pytest.raises(NotFoundException) as info:
            get_missing_certification(api_client)
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
    assert_unauthorized_body(e.body, kind)
    # e.data stays None: SDK 1.4.2 types the 401 model's `error` as an object, while SailPoint
    # (and Attest) send a string, so its parse of the body fails quietly.
