"""Hostile input over real HTTP: oversized or odd console forms, huge offsets, mangled links.

Each is answered with a 4xx a person can read, never a 500, and a body too large is refused
before the server reads it.
"""

from __future__ import annotations

import http.client
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest

from photogate.domain.catalog import Product
from photogate.entrypoints.web.console.forms import MAX_FIELDS, MAX_FORM_BYTES, TOO_LARGE
from photogate.entrypoints.web.paging import MAX_OFFSET
from photogate.settings import Settings
from tests.support.console import PASSWORD, csrf_of, staff_users
from tests.support.web_stack import BackgroundWebStack, multipart_body, prepare

pytestmark = pytest.mark.integration

SKU = "TT-TARP-3"
URLENCODED = "application/x-www-form-urlencoded"
SIGN_IN = "/console/sign-in"


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BackgroundWebStack]:
    """The web app on real adapters, with one product, a moderator "sam" and an admin "ada"."""
    settings = Settings(
        _env_file=None,
        data_dir=tmp_path_factory.mktemp("hostile-input"),
        console={"users": staff_users()},
    )
    prepare(settings, [Product(SKU, "Trail Tarp", "A tarp.", 4900)])
    with BackgroundWebStack(settings) as stack:
        yield stack


@contextmanager
def signed_in(web: BackgroundWebStack, username: str) -> Iterator[httpx.Client]:
    """A browser signed in as `username` with the console's own form."""
    with httpx.Client(base_url=web.url) as client:
        token = csrf_of(client.get(SIGN_IN).text)
        data = {"username": username, "password": PASSWORD, "csrf_token": token}
        assert client.post(SIGN_IN, data=data).status_code == 303
        yield client


def raw_post(
    web: BackgroundWebStack, path: str, headers: dict[str, str], body: bytes = b""
) -> tuple[int, dict[str, str], str]:
    """Send the request line and `headers`, then only `body` (however much they declare), and
    read the answer: a server that waited for the rest would time the test out.
    """
    connection = http.client.HTTPConnection("127.0.0.1", web.port, timeout=10)
    try:
        connection.putrequest("POST", path)
        for name, value in headers.items():
            connection.putheader(name, value)
        connection.endheaders()
        connection.send(body)
        response = connection.getresponse()
        headers_back = {name.lower(): value for name, value in response.getheaders()}
        return response.status, headers_back, response.read().decode()
    finally:
        connection.close()


def test_a_sign_in_declaring_a_huge_body_is_refused_before_it_is_sent(
    web: BackgroundWebStack,
) -> None:
    """Content-Length: 10 MiB and not a byte of body: the answer is a 413 at once, closing."""
    headers = {"Content-Type": URLENCODED, "Content-Length": str(10 * 1024 * 1024)}
    status, answer_headers, page = raw_post(web, SIGN_IN, headers)
    assert status == 413
    assert answer_headers["connection"] == "close"
    assert TOO_LARGE in page


def test_a_chunked_sign_in_is_refused_at_the_first_byte_past_the_limit(
    web: BackgroundWebStack,
) -> None:
    """Without a Content-Length the body is counted: one byte over is a 413 before it ends."""
    size = MAX_FORM_BYTES + 1
    headers = {"Content-Type": URLENCODED, "Transfer-Encoding": "chunked"}
    # The chunk's closing CRLF and the last chunk are never sent.
    status, _, page = raw_post(web, SIGN_IN, headers, f"{size:x}\r\n".encode() + b"a" * size)
    assert status == 413
    assert TOO_LARGE in page


@pytest.mark.parametrize(
    "body",
    [
        multipart_body([("username", b"sam")], b"\0" * 4096, filename=b"p.bin"),
        (b'{"username": "sam"}', "application/json"),
        (b"username=sam", "text/plain"),
    ],
    ids=["multipart with a file", "json", "text"],
)
def test_a_sign_in_that_is_not_url_encoded_is_refused(
    web: BackgroundWebStack, body: tuple[bytes, str]
) -> None:
    """Only a plain HTML form is read: anything else (a file part above all) is a 415."""
    content, content_type = body
    response = httpx.post(
        f"{web.url}{SIGN_IN}", content=content, headers={"Content-Type": content_type}
    )
    assert response.status_code == 415
    assert "application/x-www-form-urlencoded" in response.text


def test_a_sign_in_with_too_many_fields_is_refused(web: BackgroundWebStack) -> None:
    """More fields than any console form has is a 400 on the console's page."""
    fields = "&".join(f"f{number}=x" for number in range(MAX_FIELDS + 1))
    response = httpx.post(
        f"{web.url}{SIGN_IN}", content=fields, headers={"Content-Type": URLENCODED}
    )
    assert response.status_code == 400
    assert "Too many fields" in response.text


def test_a_normal_sign_in_still_works(web: BackgroundWebStack) -> None:
    """The console's own form signs in, and the session opens the review queue."""
    with signed_in(web, "sam") as client:
        assert client.get("/console/review").status_code == 200


@pytest.mark.parametrize(
    ("username", "path"),
    [("sam", "/console/submissions/0123456789abcdef/reject"), ("ada", "/console/erase")],
    ids=["moderator action", "admin action"],
)
def test_staff_forms_declaring_a_huge_body_are_refused_before_it_is_sent(
    web: BackgroundWebStack, username: str, path: str
) -> None:
    """Signed in or not, a console form is read with the same limits."""
    with signed_in(web, username) as client:
        cookie = "; ".join(f"{name}={value}" for name, value in client.cookies.items())
    headers = {"Content-Type": URLENCODED, "Content-Length": str(10 * 1024 * 1024)}
    status, _, page = raw_post(web, path, {**headers, "Cookie": cookie})
    assert status == 413
    assert TOO_LARGE in page


@pytest.mark.parametrize(
    "path",
    [f"/products/{SKU}", f"/api/products/{SKU}/photos", "/console/review", "/console/photos"],
)
def test_an_offset_too_large_for_the_database_is_a_422(web: BackgroundWebStack, path: str) -> None:
    """An offset past MAX_OFFSET (or past any integer the database has) is a 422 naming it."""
    with signed_in(web, "sam") as client:
        assert client.get(path, params={"offset": MAX_OFFSET}).status_code == 200
        for offset in (MAX_OFFSET + 1, 99999999999999999999):
            response = client.get(path, params={"offset": offset})
            assert response.status_code == 422, (path, offset)
            assert "offset" in response.text


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("token", ["abc.%C2%B2.x", "abc.%E2%91%A0.x", "abc.%D9%A1%D9%A2.x"])
def test_a_withdrawal_link_with_non_ascii_digits_is_invalid_not_an_error(
    web: BackgroundWebStack, method: str, token: str
) -> None:
    """Superscript, circled or Arabic-Indic digits in the expiry get the "not valid" 400 page."""
    response = httpx.request(method, f"{web.url}/withdraw/{token}")
    assert response.status_code == 400
    assert "not valid" in response.text
