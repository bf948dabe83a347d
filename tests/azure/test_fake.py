"""The fake Azure management server refuses what Azure's description refuses, and counts it as a violation unless
the test sent it on purpose."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass

from tests.fakes import azure_mgmt_check as check


@dataclass
class Answer:
    status_code: int
    text: str

    def json(self) -> dict:
        return json.loads(self.text)


def _send(method: str, url: str, body: dict | None = None, token: str | None = None) -> Answer:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - the fake on 127.0.0.1
            return Answer(response.status, response.read().decode())
    except urllib.error.HTTPError as exc:
        return Answer(exc.code, exc.read().decode())


def _put(fake, account: str, body: dict) -> Answer:
    path = (f"/subscriptions/{fake.subscription}/resourceGroups/{fake.resource_group}/providers/"
            f"Microsoft.CognitiveServices/accounts/{account}/deployments/d1")
    return _send("PUT", f"{fake.base_url}{path}?api-version={check.api_version()}", body, fake.token)


def test_requests_outside_the_description_are_refused(fake_mgmt):
    fake_mgmt.expect_invalid(3)
    model = {"format": "OpenAI", "name": next(iter(fake_mgmt.models))}
    no_sku_name = _put(fake_mgmt, fake_mgmt.account, {"sku": {"capacity": 1}, "properties": {"model": model}})
    assert no_sku_name.status_code == 400 and "'name' is a required property" in no_sku_name.text
    bad_account = _put(fake_mgmt, "-bad", {"sku": {"name": "Standard", "capacity": 1}, "properties": {"model": model}})
    assert bad_account.status_code == 400 and "accountName" in bad_account.text
    wrong_type = _put(fake_mgmt, fake_mgmt.account, {"sku": {"name": "Standard", "capacity": "one"},
                                                     "properties": {"model": model}})
    assert wrong_type.status_code == 400 and "capacity" in wrong_type.text
    assert len(fake_mgmt.refused) == 3 and not fake_mgmt.violations


def test_an_unexpected_violation_is_recorded(fake_mgmt):
    response = _put(fake_mgmt, fake_mgmt.account, {"sku": {"capacity": 1}})
    assert response.status_code == 400
    assert fake_mgmt.violations
    fake_mgmt.violations.clear()  # the fixture would fail the test on it


def test_a_missing_token_is_refused_as_arm_does(fake_mgmt):
    response = _send("GET", f"{fake_mgmt.base_url}/subscriptions/{fake_mgmt.subscription}/providers/"
                            f"Microsoft.CognitiveServices/accounts?api-version={check.api_version()}")
    assert response.status_code == 401 and response.json()["error"]["code"] == "InvalidAuthenticationToken"


def test_the_fake_answers_within_the_description():
    deployment = {"id": "/x", "name": "d1", "type": "Microsoft.CognitiveServices/accounts/deployments",
                  "sku": {"name": "Standard", "capacity": 1},
                  "properties": {"provisioningState": "Succeeded", "model": {"format": "OpenAI", "name": "m"}}}
    operation, _ = check.match("GET", "/subscriptions/s/resourceGroups/rg/providers/Microsoft.CognitiveServices/"
                                      "accounts/acc/deployments/d1")
    assert check.check_response(operation, 200, deployment) == []
    assert check.check_response(operation, 200, {**deployment, "sku": {"capacity": 1}})  # name is required
    assert check.check_response(operation, 202, deployment)  # Deployments_Get never answers 202
    assert check.check_operation_status({"status": "Succeeded", "percentComplete": 101})
