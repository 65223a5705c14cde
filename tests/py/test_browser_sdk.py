"""A web page calls dxemu through the AWS SDK for JavaScript v3, in headless
Chromium, from another origin: the preflight, the answers and the errors all
pass the browser's CORS checks, and the page can read the request id.

The SDK (@aws-sdk/client-direct-connect, pinned below) is installed from npm
and bundled with esbuild for the browser when the test runs."""
from __future__ import annotations

import functools
import http.server
import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import pytest

import dashboard_browser

SDK = "@aws-sdk/client-direct-connect@3.1048.0"
ESBUILD = "esbuild@0.28.2"

ENTRY = """
export {
  DirectConnectClient, CreateConnectionCommand, DescribeConnectionsCommand,
} from "@aws-sdk/client-direct-connect";
"""

PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><script src="bundle.js"></script></head>
<body><pre id="out">running</pre>
<script>
(async () => {
  const out = document.getElementById("out");
  const endpoint = new URLSearchParams(location.search).get("endpoint");
  const dx = new DXSDK.DirectConnectClient({
    region: "us-east-1", endpoint, maxAttempts: 1,
    credentials: { accessKeyId: "111111111111", secretAccessKey: "browser" },
  });
  const result = {};
  try {
    const made = await dx.send(new DXSDK.CreateConnectionCommand({
      location: "EqDC2", bandwidth: "1Gbps", connectionName: "from-a-browser" }));
    result.created = made.connectionId;
    result.requestId = made.$metadata.requestId || null;
    const got = await dx.send(new DXSDK.DescribeConnectionsCommand({ connectionId: made.connectionId }));
    result.described = got.connections.map(c => [c.connectionId, c.connectionName, c.connectionState]);
    try {
      await dx.send(new DXSDK.DescribeConnectionsCommand({ connectionId: "dxcon-ffffffff" }));
      result.error = "none";
    } catch (e) {
      result.error = e.name;
      result.errorMessage = e.message;
      result.errorRequestId = (e.$metadata && e.$metadata.requestId) || null;
    }
  } catch (e) {
    result.failed = String(e);
  }
  out.textContent = JSON.stringify(result);
})();
</script></body></html>
"""


@pytest.fixture(scope="module")
def bundle_dir():
    """A directory with bundle.js (the SDK for the browser) and index.html."""
    reason = dashboard_browser.missing()
    if reason is None and not shutil.which("npm"):
        reason = "npm is missing"
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"the browser SDK test cannot run in CI: {reason}")
        pytest.skip(reason)
    work = Path(tempfile.mkdtemp(prefix="dxemu-jssdk-"))
    (work / "package.json").write_text('{"private": true}')
    subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--silent", SDK, ESBUILD],
                   cwd=work, check=True, timeout=600)
    (work / "entry.mjs").write_text(ENTRY)
    subprocess.run([str(work / "node_modules" / ".bin" / "esbuild"), "entry.mjs", "--bundle",
                    "--format=iife", "--global-name=DXSDK", "--platform=browser",
                    "--outfile=site/bundle.js", "--log-level=warning"],
                   cwd=work, check=True, timeout=300)
    (work / "site" / "index.html").write_text(PAGE)
    yield work / "site"
    shutil.rmtree(work, ignore_errors=True)


@pytest.fixture(scope="module")
def page_server(bundle_dir):
    """Serves the page from another origin than dxemu's (another port)."""
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    handler = functools.partial(Quiet, directory=str(bundle_dir))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def test_the_javascript_sdk_works_from_a_page_of_another_origin(server, page_server):
    driver = dashboard_browser.chromium()
    try:
        driver.set_page_load_timeout(30)
        driver.get(f"{page_server}/index.html?endpoint={server.endpoint}")
        deadline = time.monotonic() + 30
        text = "running"
        while time.monotonic() < deadline:
            text = driver.execute_script("return document.getElementById('out').textContent")
            if text != "running":
                break
            time.sleep(0.1)
    finally:
        dashboard_browser.close(driver)
    result = json.loads(text)
    assert "failed" not in result, result
    cid = result["created"]
    # Instant lifecycle: the port is up by the time the page reads it back.
    assert result["described"] == [[cid, "from-a-browser", "available"]]
    # The request id header is exposed to the page.
    assert result["requestId"] and len(result["requestId"]) == 36, result
    assert result["error"] == "DirectConnectClientException", result
    assert "dxcon-ffffffff" in result["errorMessage"], result
    assert result["errorRequestId"], result
    # What the page made is what any client sees.
    got = server.client().describe_connections(connectionId=cid)["connections"][0]
    assert got["connectionName"] == "from-a-browser"


def test_a_preflight_is_answered_as_aws_json_endpoints_do(server):
    import urllib.request

    req = urllib.request.Request(f"{server.endpoint}/", method="OPTIONS", headers={
        "Origin": "http://page.example",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type,x-amz-target,authorization,x-amz-date",
    })
    with urllib.request.urlopen(req) as r:
        assert r.status == 200
        h = r.headers
        assert h["Access-Control-Allow-Origin"] == "*"
        assert h["Access-Control-Allow-Methods"] == "POST"
        assert h["Access-Control-Allow-Headers"] == "content-type,x-amz-target,authorization,x-amz-date"
        assert "x-amzn-RequestId" in h["Access-Control-Expose-Headers"]
        assert h["Access-Control-Max-Age"] == "172800"
        assert h["x-amzn-RequestId"]
        assert r.read() == b""
