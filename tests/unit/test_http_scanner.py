"""HttpScanner reading answers: Retry-After, malformed 200s and statuses, over a fake transport."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from photogate.adapters.http_scanner import HttpScanner, parse_retry_after, parse_scan_result
from photogate.domain.scan import Verdict
from photogate.errors import ScanInputRejected, ScannerMisconfigured, ScannerUnavailable, Throttled
from photogate.settings import ScannerSettings
from tests.support.processes import free_port

NOW = datetime(2025, 3, 1, 12, 0, 0, tzinfo=UTC)
GOOD = {
    "request_id": "r-1",
    "verdict": "fail",
    "categories": [{"name": "violence", "score": 0.97}, {"name": "brand_new", "score": 0.2}],
    "reasons": ["test marker: red image"],
    "model_version": "v9",
    "scanned_at": "2025-03-01T12:00:00Z",
}


def test_retry_after_in_seconds() -> None:
    """An integer Retry-After is that many seconds."""
    assert parse_retry_after("7") == 7.0


def test_retry_after_as_a_future_http_date() -> None:
    """An HTTP-date Retry-After is the time from now until then."""
    in_90_s = format_datetime(NOW + timedelta(seconds=90), usegmt=True)
    assert parse_retry_after(in_90_s, now=NOW) == 90.0


def test_retry_after_in_the_past_means_now() -> None:
    """An HTTP-date already past clamps to 0 (the waiter's own delay is the floor)."""
    past = format_datetime(NOW - timedelta(minutes=5), usegmt=True)
    assert parse_retry_after(past, now=NOW) == 0.0


@pytest.mark.parametrize(
    "value",
    [None, "", "soon", "nan", "inf", "Mon, 99 Foo 2025", "1e9", "1_000", "-3", "1.5", "\u0663"],
)
def test_unreadable_retry_after_is_none(value: str | None) -> None:
    """Only ASCII digits or an HTTP-date are read; anything else (a float, an exponent, a
    negative, a non-ASCII digit) counts as no Retry-After rather than an error.
    """
    assert parse_retry_after(value) is None


def test_a_well_formed_answer_keeps_unknown_categories() -> None:
    """Every field of a good answer is read, including a category name nobody knows yet."""
    result = parse_scan_result("r-1", GOOD)
    assert result.verdict is Verdict.FAIL
    assert result.categories == {"violence": 0.97, "brand_new": 0.2}
    assert (result.reasons, result.model_version) == (("test marker: red image",), "v9")


@pytest.mark.parametrize(
    "change",
    [
        {"verdict": "maybe"},
        {"verdict": None},
        {"request_id": "someone-else"},
        {"categories": {"violence": 0.9}},
        {"categories": [{"name": "violence", "score": 1.5}]},
        {"categories": [{"name": "violence", "score": True}]},
        {"categories": [{"score": 0.5}]},
    ],
)
def test_an_answer_breaking_the_contract_is_refused(change: dict[str, object]) -> None:
    """A bad verdict, another request id or malformed categories make the answer unusable."""
    with pytest.raises(ValueError):
        parse_scan_result("r-1", GOOD | change)


def test_descriptive_fields_are_read_leniently() -> None:
    """Missing model_version, odd reasons or scanned_at do not make an answer unusable."""
    answer = GOOD | {"reasons": ["ok", 3], "scanned_at": 5}
    del answer["model_version"]
    result = parse_scan_result("r-1", answer)
    assert (result.model_version, result.reasons, result.scanned_at) == ("unknown", ("ok",), None)


def scanner_answering(
    handler: Callable[[httpx.Request], httpx.Response], api_key: str = "k"
) -> HttpScanner:
    """An HttpScanner whose requests `handler` answers."""
    settings = ScannerSettings(url="http://scanner.test", api_key=api_key)  # type: ignore[arg-type]
    return HttpScanner(settings, httpx.AsyncClient(transport=httpx.MockTransport(handler)))


async def test_a_malformed_200_is_a_transient_failure() -> None:
    """A 200 with an unknown verdict raises ScannerUnavailable, so the message is retried."""
    body = json.dumps(GOOD | {"verdict": "maybe"}).encode()
    scanner = scanner_answering(lambda request: httpx.Response(200, content=body))
    with pytest.raises(ScannerUnavailable, match="breaks its contract"):
        await scanner.scan("r-1", b"jpeg", "image/jpeg")


async def test_a_5xx_carries_its_retry_after() -> None:
    """A 500 with Retry-After raises ScannerUnavailable carrying that delay."""
    scanner = scanner_answering(lambda request: httpx.Response(500, headers={"Retry-After": "4"}))
    with pytest.raises(ScannerUnavailable) as caught:
        await scanner.scan("r-1", b"jpeg", "image/jpeg")
    assert caught.value.retry_after == 4.0


async def test_a_missing_endpoint_is_a_misconfigured_url() -> None:
    """A 404 means the URL setting is wrong: ScannerMisconfigured naming the variable."""
    scanner = scanner_answering(lambda request: httpx.Response(404))
    with pytest.raises(ScannerMisconfigured, match="PHOTOGATE_SCANNER__URL"):
        await scanner.scan("r-1", b"jpeg", "image/jpeg")


@pytest.mark.parametrize("status", [401, 403, 404])
async def test_a_misconfiguration_is_throttled_work_with_a_long_delay(status: int) -> None:
    """A refused key or a wrong URL costs no attempt: it is Throttled, back in a minute."""
    scanner = scanner_answering(lambda request: httpx.Response(status), api_key="s3cret")
    with pytest.raises(Throttled) as caught:
        await scanner.scan("r-1", b"jpeg", "image/jpeg")
    assert isinstance(caught.value, ScannerMisconfigured)
    assert caught.value.retry_after == ScannerMisconfigured.RETRY_AFTER_S
    assert "s3cret" not in str(caught.value)


async def test_a_rejection_without_error_json_keeps_the_body_as_reason() -> None:
    """A 415 with a plain-text body is still a rejection, with that text as its reason."""
    scanner = scanner_answering(lambda request: httpx.Response(415, text="no gifs here"))
    with pytest.raises(ScanInputRejected) as caught:
        await scanner.scan("r-1", b"gif", "image/gif")
    assert (caught.value.status, caught.value.reason) == (415, "no gifs here")


async def test_the_request_carries_id_type_and_key() -> None:
    """The scan is a POST of the raw bytes with X-Request-Id, Content-Type and the API key."""
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=GOOD)

    await scanner_answering(answer, api_key="s3cret").scan("r-1", b"png-bytes", "image/png")
    request = seen[0]
    assert (request.method, str(request.url)) == ("POST", "http://scanner.test/v1/scan")
    assert request.content == b"png-bytes"
    assert request.headers["X-Request-Id"] == "r-1"
    assert request.headers["Content-Type"] == "image/png"
    assert request.headers["Ocp-Apim-Subscription-Key"] == "s3cret"


async def test_no_key_header_is_sent_without_a_key() -> None:
    """With no API key configured the header is left out rather than sent empty."""
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=GOOD)

    await scanner_answering(answer, api_key="").scan("r-1", b"png-bytes", "image/png")
    assert "Ocp-Apim-Subscription-Key" not in seen[0].headers


@pytest.mark.parametrize("answer", ["refused", 404])
async def test_errors_name_the_scanner_without_the_credentials_in_its_url(
    answer: str | int,
) -> None:
    """User, password and query of the URL setting never reach an error (and so the logs):
    a refused connection and a missing endpoint name scheme, host, port and path only.
    """
    port = free_port()  # nothing listens there
    url = f"http://scanuser:hunter2pw@127.0.0.1:{port}/svc?code=K9"
    settings = ScannerSettings(url=url, api_key="k")  # type: ignore[arg-type]
    client = None
    if answer != "refused":
        client = httpx.AsyncClient(transport=httpx.MockTransport(lambda r: httpx.Response(404)))
    scanner = HttpScanner(settings, client)
    with pytest.raises((ScannerUnavailable, ScannerMisconfigured)) as caught:
        await scanner.scan("r-1", b"jpeg", "image/jpeg")
    message = str(caught.value)
    assert f"http://127.0.0.1:{port}/svc" in message
    assert "hunter2pw" not in message and "scanuser" not in message and "K9" not in message
