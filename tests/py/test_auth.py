"""`--auth verify` with real SigV4 clients (boto3, raw botocore signing, the AWS CLI),
tampered requests, and the control API guard (`--admin-token`, `--no-control-api`)."""
from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import signal
import subprocess
from unittest import mock

import botocore.auth
import pytest
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from conftest import Server, binary
from dxcheck import strict_client

OWNER = "111111111111"
OWNER_KEY, OWNER_SECRET = "AKIDPYOWNER", "py/owner+secret"
OTHER_KEY, OTHER_SECRET = "222222222222", "other-secret"
TOKEN = "py-admin-token"
JSON_11 = "application/x-amz-json-1.1"


@pytest.fixture(scope="module")
def verifying(tmp_path_factory):
    creds = tmp_path_factory.mktemp("auth") / "credentials"
    creds.write_text(f"# dxemu credentials\n\n{OTHER_KEY}:{OTHER_SECRET}\n")
    srv = Server(
        "--in-memory",
        "--auth", "verify",
        "--credential", f"{OWNER_KEY}:{OWNER_SECRET}:{OWNER}",
        "--credentials-file", str(creds),
    ).start()
    yield srv
    srv.kill(signal.SIGTERM)


def client(srv, key=OWNER_KEY, secret=OWNER_SECRET, **kw):
    return strict_client(srv.endpoint, access_key=key, secret_key=secret, **kw)


def code_of(excinfo) -> str:
    return excinfo.value.response["Error"]["Code"]


def signed(srv, body: str = "{}", target: str = "DescribeConnections", key=OWNER_KEY, secret=OWNER_SECRET,
           when: dt.datetime | None = None) -> AWSRequest:
    """A request signed by botocore's own SigV4 signer, optionally at another time."""
    req = AWSRequest(
        method="POST",
        url=srv.endpoint + "/",
        data=body,
        headers={"Content-Type": JSON_11, "X-Amz-Target": f"OvertureService.{target}"},
    )
    signer = SigV4Auth(Credentials(key, secret), "directconnect", "us-east-1")
    if when is None:
        signer.add_auth(req)
    else:
        with mock.patch.object(botocore.auth, "get_current_datetime", return_value=when):
            signer.add_auth(req)
    return req


def send(req: AWSRequest, body: str | None = None, **header_changes) -> requests.Response:
    headers = dict(req.headers.items())
    headers.update(header_changes)
    data = req.body if body is None else body
    return requests.post(req.url, headers=headers, data=data, timeout=10)


def error(resp: requests.Response) -> tuple[int, str, str]:
    doc = resp.json()
    return resp.status_code, doc["__type"], doc["message"]


def test_boto3_with_the_right_secret_acts_as_the_credential_account(verifying):
    dx = client(verifying)
    created = dx.create_connection(location="EqDC2", bandwidth="1Gbps", connectionName="signed")
    assert created["ownerAccount"] == OWNER
    ids = [c["connectionId"] for c in dx.describe_connections()["connections"]]
    assert created["connectionId"] in ids
    # The key from the credentials file is its own (12-digit) account and sees nothing of OWNER's.
    other = client(verifying, OTHER_KEY, OTHER_SECRET)
    assert other.describe_connections()["connections"] == []
    # Session tokens are signed along and accepted.
    session = client(verifying, aws_session_token="IQoJb3JpZ2luX2VjEXAMPLE")
    assert created["connectionId"] in [c["connectionId"] for c in session.describe_connections()["connections"]]


def test_boto3_wrong_secret_and_unknown_key(verifying):
    with pytest.raises(ClientError) as e:
        client(verifying, secret="wrong").describe_locations()
    assert code_of(e) == "InvalidSignatureException"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert e.value.response["Error"]["Message"].startswith(
        "The request signature we calculated does not match the signature you provided.")
    with pytest.raises(ClientError) as e:
        client(verifying, key="AKIDUNKNOWN").describe_locations()
    assert code_of(e) == "UnrecognizedClientException"
    assert e.value.response["Error"]["Message"] == "The security token included in the request is invalid."


def test_botocore_signed_request_passes_untouched(verifying):
    resp = send(signed(verifying))
    assert resp.status_code == 200, resp.text
    assert "connections" in resp.json()


def test_tampered_body_or_header_is_refused(verifying):
    req = signed(verifying, body="{}")
    status, code, message = error(send(req, body='{"connectionId":"dxcon-ffffffff"}'))
    assert (status, code) == (400, "InvalidSignatureException")
    assert "The Canonical String for this request should have been" in message
    status, code, _ = error(send(req, **{"X-Amz-Target": "OvertureService.DescribeLocations"}))
    assert (status, code) == (400, "InvalidSignatureException")
    # A signature for one key presented under another.
    auth = req.headers["Authorization"].replace(f"Credential={OWNER_KEY}/", f"Credential={OTHER_KEY}/")
    status, code, _ = error(send(req, Authorization=auth))
    assert (status, code) == (400, "InvalidSignatureException")


def test_missing_and_malformed_authorization(verifying):
    req = signed(verifying)
    headers = {k: v for k, v in req.headers.items() if k.lower() != "authorization"}
    resp = requests.post(req.url, headers=headers, data=req.body, timeout=10)
    status, code, message = error(resp)
    assert (status, code) == (403, "MissingAuthenticationTokenException")
    assert "Authentication Token" in message
    assert resp.headers["x-amzn-errortype"] == "MissingAuthenticationTokenException"

    no_sig = req.headers["Authorization"].split(", Signature=")[0]
    status, code, message = error(send(req, Authorization=no_sig))
    assert (status, code) == (400, "IncompleteSignatureException")
    assert "Authorization header requires 'Signature' parameter." in message

    bad_scope = req.headers["Authorization"].replace("/us-east-1/directconnect/aws4_request", "/us-east-1")
    status, code, message = error(send(req, Authorization=bad_scope))
    assert (status, code) == (400, "IncompleteSignatureException")
    assert message.startswith("Credential must have exactly 5 slash-delimited elements")

    status, code, message = error(send(req, **{"X-Amz-Date": "2026-11-29T00:00:00Z"}))
    assert (status, code) == (400, "IncompleteSignatureException")
    assert "ISO-8601 'basic format'" in message


def test_wrong_service_in_scope(verifying):
    req = AWSRequest(method="POST", url=verifying.endpoint + "/", data="{}",
                     headers={"Content-Type": JSON_11, "X-Amz-Target": "OvertureService.DescribeLocations"})
    SigV4Auth(Credentials(OWNER_KEY, OWNER_SECRET), "ec2", "us-east-1").add_auth(req)
    status, code, message = error(send(req))
    assert (status, code) == (400, "InvalidSignatureException")
    assert "Credential should be scoped to correct service: 'directconnect'." in message


def test_signatures_older_or_newer_than_fifteen_minutes(verifying):
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    status, code, message = error(send(signed(verifying, when=now - dt.timedelta(minutes=20))))
    assert (status, code) == (400, "InvalidSignatureException")
    assert message.startswith("Signature expired: ") and message.endswith(" - 15 min.)"), message
    status, code, message = error(send(signed(verifying, when=now + dt.timedelta(minutes=20))))
    assert (status, code) == (400, "InvalidSignatureException")
    assert message.startswith("Signature not yet current: ") and message.endswith(" + 15 min.)"), message
    # Within the window it verifies.
    assert send(signed(verifying, when=now - dt.timedelta(minutes=10))).status_code == 200


def test_emulated_clock_moves_do_not_expire_signatures(verifying):
    r = requests.post(f"{verifying.endpoint}/_dxemu/clock/advance", json={"seconds": 2 * 86400}, timeout=10)
    assert r.status_code == 200, r.text
    client(verifying).describe_locations()


@pytest.mark.skipif(shutil.which("aws") is None, reason="the AWS CLI is not on PATH")
def test_aws_cli_with_verify(verifying, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_ACCESS_KEY_ID=OWNER_KEY,
        AWS_SECRET_ACCESS_KEY=OWNER_SECRET,
        AWS_DEFAULT_REGION="us-east-1",
        AWS_CONFIG_FILE=str(tmp_path / "config"),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "credentials"),
        AWS_MAX_ATTEMPTS="1",
        AWS_PAGER="",
    )
    cmd = ["aws", "directconnect", "describe-connections", "--endpoint-url", verifying.endpoint, "--output", "json"]
    ok = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60)
    assert ok.returncode == 0, ok.stderr
    assert all(c["ownerAccount"] == OWNER for c in json.loads(ok.stdout)["connections"])
    env["AWS_SECRET_ACCESS_KEY"] = "wrong"
    bad = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60)
    assert bad.returncode != 0 and "InvalidSignatureException" in bad.stderr, bad.stderr


def test_default_mode_accepts_any_credential(server):
    dx = strict_client(server.endpoint, access_key="AKIDANYTHING", secret_key="anything")
    assert "locations" in dx.describe_locations()
    resp = requests.post(server.endpoint, headers={"Content-Type": JSON_11,
                                                   "X-Amz-Target": "OvertureService.DescribeLocations"},
                         data="{}", timeout=10)
    assert resp.status_code == 200


@pytest.fixture(scope="module")
def guarded():
    srv = Server("--in-memory", "--admin-token", TOKEN).start()
    yield srv
    srv.kill(signal.SIGTERM)


def test_admin_token_required_on_control_routes(guarded):
    base = guarded.endpoint
    assert requests.get(f"{base}/_dxemu/health", timeout=10).status_code == 200
    for path in ("/_dxemu/clock", "/_dxemu/resources", "/_dxemu/ui"):
        r = requests.get(base + path, timeout=10)
        assert r.status_code == 401, path
        assert r.json()["error"] == "Unauthorized"
    assert requests.post(f"{base}/_dxemu/reset", timeout=10).status_code == 401
    assert requests.get(f"{base}/_dxemu/clock", headers={"Authorization": "Bearer wrong"}, timeout=10).status_code == 401
    assert requests.get(f"{base}/_dxemu/clock", headers={"Authorization": f"Bearer {TOKEN}"},
                        timeout=10).status_code == 200
    assert requests.get(f"{base}/_dxemu/clock", headers={"X-Dxemu-Admin-Token": TOKEN}, timeout=10).status_code == 200
    # The AWS API is not behind the admin token.
    assert "locations" in strict_client(base).describe_locations()


def test_browser_login_cookie(guarded):
    browser = requests.Session()
    r = browser.get(f"{guarded.endpoint}/_dxemu/login", params={"token": "wrong"}, allow_redirects=False, timeout=10)
    assert r.status_code == 401
    r = browser.get(f"{guarded.endpoint}/_dxemu/login", params={"token": TOKEN}, allow_redirects=False, timeout=10)
    assert r.status_code == 303 and r.headers["Location"] == "/_dxemu/ui"
    set_cookie = r.headers["Set-Cookie"]
    for attr in ("HttpOnly", "SameSite=Strict", "Path=/_dxemu"):
        assert attr in set_cookie, set_cookie
    # The session keeps the cookie like a browser and is let in.
    assert browser.get(f"{guarded.endpoint}/_dxemu/clock", timeout=10).status_code == 200
    assert requests.get(f"{guarded.endpoint}/_dxemu/clock", timeout=10).status_code == 401


def test_no_control_api():
    srv = Server("--in-memory", "--no-control-api").start()
    try:
        base = srv.endpoint
        assert requests.get(f"{base}/_dxemu/health", timeout=10).status_code == 200
        for path in ("/_dxemu/clock", "/_dxemu/resources", "/_dxemu/ui", "/_dxemu/login?token=x"):
            assert requests.get(base + path, timeout=10).status_code == 404, path
        assert requests.post(f"{base}/_dxemu/reset", timeout=10).status_code == 404
        assert "locations" in strict_client(base).describe_locations()
    finally:
        srv.kill(signal.SIGTERM)


def test_listens_on_loopback_by_default():
    out = subprocess.run([binary(), "serve", "--help"],
                         capture_output=True, text=True, timeout=30)
    assert "127.0.0.1:4566" in out.stdout
