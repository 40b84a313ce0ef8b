"""Each local execution environment runs its handler with only its function's deployed permissions."""

from __future__ import annotations

import pytest

from devserver.environments import LambdaContext, ProcessEnvironment
from devserver.iam import usage


@pytest.mark.parametrize(
    ("function", "code"),
    [("thumbnail", "AccessDenied"), ("upload", "EndpointConnectionError")],
)
def test_an_environment_calls_aws_as_its_function(function: str, code: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # A test handler's calls are no code path of ours: they must not count as grants used
    monkeypatch.delenv(usage.FILE_VARIABLE, raising=False)
    # Given an environment of a function that may not write originals (thumbnail), and one that may (upload)
    environment = ProcessEnvironment(function, handler="tests.runtime_iam_handlers.write_original")
    try:
        # When its handler writes an original
        answer = environment({}, LambdaContext(function))
    finally:
        environment.close()
    # Then the thumbnail's call is refused as AWS refuses it, the upload's goes out (to a closed port)
    assert answer["code"] == code
    if code == "AccessDenied":
        assert f"assumed-role/{function}/{function} is not authorized to perform: s3:PutObject" in answer["message"]
