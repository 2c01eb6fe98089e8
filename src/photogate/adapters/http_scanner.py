"""HttpScanner: the in-house scanning API over HTTP, as shared/contracts/scanner-api.yaml has it.

Every answer maps onto one of photogate's errors, so the worker knows whether to retry:

- 200: a ScanResult. Unknown category names are kept. An answer that breaks the contract on
  what decides an image (another request id, a verdict other than pass/fail/inconclusive,
  categories that are not names with scores from 0 to 1) raises ScannerUnavailable: it is
  the service's fault, not the image's, and a retry with the same request id is safe and cheap;
  if the service keeps answering so, the message runs out of attempts like any other outage.
  Descriptive fields are read leniently (a missing model_version reads "unknown").
- 429: ScannerBusy; 5xx, timeouts, unreachable: ScannerUnavailable (both with Retry-After).
  Each ScannerUnavailable costs the message an attempt, but a run of them pauses every call
  (the limiter's circuit breaker), so a passing outage costs a few attempts, not the backlog.
- 400, 413, 415: ScanInputRejected, with the reason from the Error JSON.
- 401, 403 (API key) and 404, 405 (URL): ScannerMisconfigured, a Throttled that costs no
  attempt, since a setting is wrong for every message: they stay queued until someone fixes it.
- anything else: ScannerUnavailable.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from types import TracebackType
from urllib.parse import urlsplit, urlunsplit

import httpx

from photogate.domain.scan import ScanResult, Verdict
from photogate.errors import (
    ScanInputRejected,
    ScannerBusy,
    ScannerMisconfigured,
    ScannerUnavailable,
)
from photogate.settings import ScannerSettings

KEY_HEADER = "Ocp-Apim-Subscription-Key"
_REJECTIONS = frozenset({400, 413, 415})
_DELAY_SECONDS = re.compile(r"[0-9]+")  # RFC 9110: 1*DIGIT, nothing float() would also take


class HttpScanner:
    """The Scanner port over HTTP.

    It adds no concurrency limit of its own (the worker bounds it), so its connection pool is
    unbounded: a wait for a pooled connection must not eat into a scan's timeout.
    """

    def __init__(self, settings: ScannerSettings, client: httpx.AsyncClient | None = None) -> None:
        self._settings = settings
        self._owns_client = client is None
        self._client = client or httpx.AsyncClient(
            limits=httpx.Limits(
                max_connections=None, max_keepalive_connections=settings.max_in_flight
            )
        )

    async def scan(self, request_id: str, image: bytes, content_type: str) -> ScanResult:
        """The scanner's result for `image`; a repeated `request_id` is answered from its store."""
        response = await self._post(request_id, image, content_type)
        if response.status_code != 200:
            raise _error_for(response, shown_url(self._settings.url))
        try:
            return parse_scan_result(request_id, response.json())
        except ValueError as exc:
            raise ScannerUnavailable(f"the scanner's answer breaks its contract: {exc}") from None

    async def health(self) -> bool:
        """Whether the scanner says it is up (GET /v1/health answers 200 with status ok)."""
        try:
            response = await self._client.get(
                f"{self._settings.url}/v1/health", timeout=self._settings.timeout_s
            )
            data = response.json() if response.status_code == 200 else None
        except (httpx.HTTPError, ValueError):
            return False
        return isinstance(data, dict) and data.get("status") == "ok"

    async def aclose(self) -> None:
        """Close the HTTP client, if this scanner created it (a client passed in stays open)."""
        if self._owns_client:
            await self._client.aclose()

    async def __aenter__(self) -> HttpScanner:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def _post(self, request_id: str, image: bytes, content_type: str) -> httpx.Response:
        url = f"{self._settings.url}/v1/scan"
        timeout = self._settings.timeout_s
        try:
            return await self._client.post(
                url, content=image, headers=self._headers(request_id, content_type), timeout=timeout
            )
        except httpx.TimeoutException:
            raise ScannerUnavailable(f"the scanner did not answer within {timeout:g} s") from None
        except httpx.RequestError as exc:
            detail = f"could not reach the scanner at {shown_url(url)}: {type(exc).__name__}"
            raise ScannerUnavailable(detail) from None

    def _headers(self, request_id: str, content_type: str) -> dict[str, str]:
        headers = {"X-Request-Id": request_id, "Content-Type": content_type}
        key = self._settings.api_key.get_secret_value()
        if key:
            headers[KEY_HEADER] = key
        return headers


def shown_url(url: str) -> str:
    """`url` as logs and messages may show it: no user, password or query, which may hold a
    key; a URL too malformed to take apart is not shown at all.
    """
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "(the configured scanner URL)"
    if ":" in host:  # IPv6
        host = f"[{host}]"
    return urlunsplit((parts.scheme, f"{host}{port}", parts.path, "", ""))


def _error_for(response: httpx.Response, url: str) -> Exception:
    status = response.status_code
    retry_after = parse_retry_after(response.headers.get("retry-after"))
    if status == 429:
        return ScannerBusy("the scanner is over capacity (429)", retry_after=retry_after)
    if status in _REJECTIONS:
        return ScanInputRejected(status, _error_reason(response))
    if status in (401, 403):
        hint = "check PHOTOGATE_SCANNER__API_KEY"
        return ScannerMisconfigured(f"scanner refused our API key ({status}): {hint}")
    if status in (404, 405):
        hint = "check PHOTOGATE_SCANNER__URL"
        return ScannerMisconfigured(f"no scan endpoint at {url}/v1/scan ({status}): {hint}")
    detail = f"the scanner answered {status} {response.reason_phrase}".rstrip()
    return ScannerUnavailable(detail, retry_after=retry_after)


def _error_reason(response: httpx.Response) -> str:
    """The reason the service gave: its Error JSON, else the start of its body, else the status."""
    try:
        data = response.json()
    except ValueError:
        data = None
    if isinstance(data, dict):
        parts = [data[key] for key in ("error", "detail") if isinstance(data.get(key), str)]
        if parts:
            return ": ".join(parts)
    return response.text.strip()[:200] or f"HTTP {response.status_code} {response.reason_phrase}"


def parse_scan_result(request_id: str, data: object) -> ScanResult:
    """The ScanResult in a 200 answer's JSON; ValueError when it breaks the contract."""
    if not isinstance(data, dict):
        raise ValueError("the body is not a JSON object")
    if data.get("request_id") != request_id:
        raise ValueError(f"it answers request {data.get('request_id')!r}, not {request_id!r}")
    model_version = data.get("model_version")
    scanned_at = data.get("scanned_at")
    return ScanResult(
        request_id=request_id,
        verdict=_verdict(data.get("verdict")),
        categories=_categories(data.get("categories")),
        model_version=model_version if isinstance(model_version, str) else "unknown",
        reasons=_reasons(data.get("reasons")),
        scanned_at=scanned_at if isinstance(scanned_at, str) else None,
    )


def _verdict(value: object) -> Verdict:
    if isinstance(value, str) and value in set(Verdict):
        return Verdict(value)
    raise ValueError(f"verdict {value!r} is not pass, fail or inconclusive")


def _categories(value: object) -> dict[str, float]:
    if not isinstance(value, list):
        raise ValueError("categories is not a list")
    categories: dict[str, float] = {}
    for item in value:
        name, score = _category(item)
        # A name listed twice keeps its higher score: the stricter reading is the safe one.
        categories[name] = max(score, categories.get(name, 0.0))
    return categories


def _category(item: object) -> tuple[str, float]:
    name = item.get("name") if isinstance(item, dict) else None
    if not isinstance(name, str):
        raise ValueError(f"category {item!r} has no name")
    score = item.get("score") if isinstance(item, dict) else None
    if isinstance(score, bool) or not isinstance(score, int | float) or not 0 <= score <= 1:
        raise ValueError(f"category {name!r} has score {score!r}, not a number from 0 to 1")
    return name, float(score)


def _reasons(value: object) -> tuple[str, ...]:
    # Notes for moderators decide nothing: keep what is text, drop the rest.
    return tuple(item for item in value if isinstance(item, str)) if isinstance(value, list) else ()


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (ASCII digits or an HTTP-date), at least 0.

    None when the header is absent or unreadable ("1e9", "1.5", "-3"). No upper bound here:
    whoever waits caps it (the limiter's pause at max_pause_s, a message's delay at
    backoff_max_s) and keeps their own delay as the floor.
    """
    if value is None:
        return None
    text = value.strip()
    if _DELAY_SECONDS.fullmatch(text):
        return float(text)
    seconds = _seconds_until(text, now or datetime.now(UTC))
    return None if seconds is None else max(0.0, seconds)


def _seconds_until(text: str, now: datetime) -> float | None:
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:  # "-0000": UTC, with the sender's zone unknown
        when = when.replace(tzinfo=UTC)
    return (when - now).total_seconds()
