#!/usr/bin/env python3
"""Strict wire-conformance checks for a Direct Connect API endpoint.

botocore parses responses leniently: a misspelled member, a wrong type, an
enum value the model does not know or a JSON null is silently dropped or
passed through, so a boto3 test can pass while Terraform or the Go/Rust SDKs
break. This module checks every raw response against the service model
vendored in this repository (model/directconnect/2012-10-25/service-2.json,
the one the server's code is generated from) and raises on any deviation.
It needs nothing outside the repository but boto3 (pinned in
tests/py/requirements.txt to the botocore whose model is vendored).

Library use (in a pytest suite):

    from dxcheck import strict_client
    dx = strict_client("http://127.0.0.1:4566", access_key="111111111111")
    dx.describe_connections()      # raises ConformanceError on a bad response

Command-line use:

    python3 tests/py/dxcheck.py coverage --endpoint http://127.0.0.1:4566
        Calls all operations of the model once with minimal, syntactically
        valid input and prints a line per operation: ok (a modeled answer),
        modeled-error (a modeled error type), or a failure class
        (unknown-operation, server-error, non-conforming, no-answer).
        Last line: 'N passed, M failed'. An operation passes when it is
        implemented and every byte it returned conforms to the model.
"""
from __future__ import annotations

import argparse
import base64
import functools
import json
import re
import sys
from pathlib import Path

import boto3
import botocore.model
from botocore.config import Config

SERVICE = "directconnect"
VENDORED_MODEL = (
    Path(__file__).resolve().parents[2] / "model" / "directconnect" / "2012-10-25" / "service-2.json"
)

# Error codes any AWS JSON 1.1 service may return besides the modeled ones.
GENERIC_ERRORS = {
    "AccessDeniedException",
    "IncompleteSignatureException",
    "InternalFailure",
    "InvalidSignatureException",
    "MissingAuthenticationTokenException",
    "RequestExpired",
    "SerializationException",
    "ServiceUnavailable",
    "ThrottlingException",
    "UnknownOperationException",
    "UnrecognizedClientException",
    "ValidationException",
}


class ConformanceError(AssertionError):
    """A response that a strict client of the model would not accept."""


@functools.cache
def service_model():
    """The vendored model, the single source of truth for every check."""
    with open(VENDORED_MODEL) as f:
        return botocore.model.ServiceModel(json.load(f), service_name=SERVICE)


def _check(value, shape, path, problems):
    t = shape.type_name
    if value is None:
        problems.append(f"{path}: JSON null (AWS omits absent members instead)")
        return
    if t == "structure":
        if not isinstance(value, dict):
            problems.append(f"{path}: expected object for {shape.name}, got {type(value).__name__}")
            return
        members = shape.members
        for key, item in value.items():
            if key not in members:
                problems.append(f"{path}.{key}: not a member of {shape.name}")
                continue
            _check(item, members[key], f"{path}.{key}", problems)
    elif t == "list":
        if not isinstance(value, list):
            problems.append(f"{path}: expected array for {shape.name}, got {type(value).__name__}")
            return
        for i, item in enumerate(value):
            _check(item, shape.member, f"{path}[{i}]", problems)
    elif t == "map":
        if not isinstance(value, dict):
            problems.append(f"{path}: expected object (map) for {shape.name}")
            return
        for k, item in value.items():
            _check(k, shape.key, f"{path}<key>", problems)
            _check(item, shape.value, f"{path}[{k!r}]", problems)
    elif t == "string":
        if not isinstance(value, str):
            problems.append(f"{path}: expected string for {shape.name}, got {type(value).__name__} {value!r}")
            return
        enum = shape.enum
        if enum and value not in enum:
            problems.append(f"{path}: {value!r} is not one of {shape.name} {sorted(enum)}")
        meta = shape.metadata
        if "min" in meta and len(value) < meta["min"]:
            problems.append(f"{path}: shorter than min {meta['min']}")
        if "max" in meta and len(value) > meta["max"]:
            problems.append(f"{path}: longer than max {meta['max']}")
        pattern = meta.get("pattern")
        if pattern and "\\p" not in pattern and not re.search(pattern, value):
            problems.append(f"{path}: {value!r} does not match {pattern}")
    elif t in ("integer", "long"):
        if isinstance(value, bool) or not isinstance(value, int):
            problems.append(f"{path}: expected integer for {shape.name}, got {value!r}")
    elif t in ("float", "double"):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            problems.append(f"{path}: expected number for {shape.name}, got {value!r}")
    elif t == "boolean":
        if not isinstance(value, bool):
            problems.append(f"{path}: expected boolean for {shape.name}, got {value!r}")
    elif t == "timestamp":
        # AWS JSON 1.1 sends timestamps as epoch seconds (a JSON number).
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            problems.append(f"{path}: expected epoch-seconds number for timestamp {shape.name}, got {value!r}")
    elif t == "blob":
        if not isinstance(value, str):
            problems.append(f"{path}: expected base64 string for blob {shape.name}")
            return
        try:
            base64.b64decode(value, validate=True)
        except Exception:
            problems.append(f"{path}: blob {shape.name} is not valid base64")
    else:
        problems.append(f"{path}: unchecked shape type {t}")


def check_response(operation_model, status, headers, body):
    """Return a list of problems with one raw HTTP response (empty when it conforms)."""
    problems = []
    headers = {k.lower(): v for k, v in headers.items()}
    if not headers.get("x-amzn-requestid"):
        problems.append("header x-amzn-RequestId missing")
    ctype = headers.get("content-type", "")
    if not ctype.startswith("application/x-amz-json-1.1"):
        problems.append(f"content-type {ctype!r}, expected application/x-amz-json-1.1")
    try:
        doc = json.loads(body or b"{}")
    except ValueError as e:
        return problems + [f"body is not JSON: {e}"]
    if status >= 400:
        if not isinstance(doc, dict):
            return problems + ["error body is not a JSON object"]
        code = str(doc.get("__type", "")).rsplit("#", 1)[-1].split(":", 1)[0]
        modeled = {s.name for s in operation_model.error_shapes}
        if not code:
            problems.append("error body has no __type")
        elif code not in modeled | GENERIC_ERRORS:
            problems.append(f"error type {code!r} is neither modeled for {operation_model.name} nor generic")
        if not isinstance(doc.get("message", doc.get("Message")), str):
            problems.append("error body has no message string")
        if status >= 500 and code not in ("DirectConnectServerException", "InternalFailure", "ServiceUnavailable"):
            problems.append(f"HTTP {status} with error type {code!r}")
        return problems
    if status != 200:
        problems.append(f"HTTP status {status} for a success")
    output = operation_model.output_shape
    if output is None:
        if doc not in ({}, None):
            problems.append("operation has no output shape but body is not {}")
        return problems
    _check(doc, output, operation_model.name, problems)
    return problems


def strict_client(endpoint_url, access_key="123456789012", secret_key="secret", region="us-east-1", **kwargs):
    """A boto3 Direct Connect client that raises ConformanceError on any non-conforming response."""
    client = boto3.client(
        SERVICE,
        endpoint_url=endpoint_url,
        region_name=region,
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
        config=kwargs.pop("config", Config(retries={"max_attempts": 1})),
        **kwargs,
    )

    vendored = service_model()

    def before_parse(operation_model, response_dict, **_):
        if operation_model.name not in vendored.operation_names:
            raise ConformanceError(f"{operation_model.name}: not an operation of the vendored model")
        problems = check_response(
            vendored.operation_model(operation_model.name),
            response_dict["status_code"],
            response_dict["headers"],
            response_dict["body"],
        )
        if problems:
            raise ConformanceError(f"{operation_model.name}: " + "; ".join(problems))

    client.meta.events.register(f"before-parse.{client.meta.service_model.service_id.hyphenize()}", before_parse)
    return client


def _minimal(shape, name="x"):
    """A minimal, syntactically valid value for an input shape."""
    t = shape.type_name
    if t == "structure":
        return {m: _minimal(shape.members[m], m) for m in shape.required_members}
    if t == "list":
        return [_minimal(shape.member, name)]
    if t == "map":
        return {}
    if t == "string":
        if shape.enum:
            return shape.enum[0]
        lowered = name.lower()
        for prefix, sample in (
            ("lagid", "dxlag-ffffffff"),
            ("interconnectid", "dxcon-ffffffff"),
            ("connectionid", "dxcon-ffffffff"),
            ("virtualinterfaceid", "dxvif-ffffffff"),
            ("directconnectgatewayid", "11111111-2222-3333-4444-555555555555"),
            ("associationid", "11111111-2222-3333-4444-555555555555"),
            ("proposalid", "11111111-2222-3333-4444-555555555555"),
            ("resourcearn", "arn:aws:directconnect:us-east-1:123456789012:dxcon/dxcon-ffffffff"),
            ("bandwidth", "1Gbps"),
            ("location", "EqDC2"),
            ("owneraccount", "123456789012"),
            ("gatewayid", "vgw-ffffffff"),
            ("virtualgatewayid", "vgw-ffffffff"),
            ("secretarn", "arn:aws:secretsmanager:us-east-1:123456789012:secret:dx-key-abc123"),
        ):
            if prefix in lowered:
                return sample
        meta = shape.metadata
        value = "probe"
        if "min" in meta and len(value) < meta["min"]:
            value = value.ljust(meta["min"], "x")
        return value
    if t in ("integer", "long"):
        return max(1, shape.metadata.get("min", 1))
    if t == "boolean":
        return False
    if t == "timestamp":
        return 0
    if t == "blob":
        return b"probe"
    return None


def coverage(endpoint, access_key):
    import botocore.exceptions

    client = strict_client(endpoint, access_key=access_key)
    model = service_model()
    passed = failed = 0
    for op_name in model.operation_names:
        op = model.operation_model(op_name)
        params = _minimal(op.input_shape) if op.input_shape else {}
        method = getattr(client, botocore.xform_name(op_name))
        try:
            method(**params)
            verdict = "ok"
        except ConformanceError as e:
            verdict = f"non-conforming: {e}"
        except botocore.exceptions.ClientError as e:
            code = e.response.get("Error", {}).get("Code", "")
            status = e.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
            modeled = {s.name for s in op.error_shapes}
            if code == "UnknownOperationException" or status == 404:
                verdict = f"unknown-operation: {code or status}"
            elif status >= 500:
                verdict = f"server-error: {status} {code}"
            elif code in modeled:
                verdict = f"modeled-error: {code}: {e.response.get('Error', {}).get('Message', '')[:80]}"
            else:
                verdict = f"unmodeled-error: {code}"
        except botocore.exceptions.ParamValidationError as e:
            verdict = f"probe-input-rejected-by-client: {e}"
        except Exception as e:  # connection refused, timeouts, unparsable bodies
            verdict = f"no-answer: {type(e).__name__}: {e}"
        good = verdict == "ok" or verdict.startswith("modeled-error")
        passed += good
        failed += not good
        print(f"{'PASS' if good else 'FAIL'} {op_name}: {verdict}")
    print(f"{passed} passed, {failed} failed")
    return failed == 0


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    cov = sub.add_parser("coverage", help="call every operation once and check conformance")
    cov.add_argument("--endpoint", required=True)
    cov.add_argument("--access-key", default="123456789012")
    args = parser.parse_args(argv)
    if args.cmd == "coverage":
        return 0 if coverage(args.endpoint, args.access_key) else 1
    return 2


if __name__ == "__main__":
    sys.exit(main())
