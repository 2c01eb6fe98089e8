"""The product page's form sent without JavaScript, over real HTTP: answered with pages."""

from __future__ import annotations

import html
import itertools
import re
from collections.abc import Iterator

import httpx
import pytest

from photogate.domain.catalog import Product
from photogate.domain.licence import CURRENT
from photogate.domain.submission import FINAL
from photogate.settings import Settings
from photogate.testing import samples
from tests.support.web_stack import BackgroundWebStack, multipart_body, prepare

pytestmark = pytest.mark.integration

SKU = "TT-MUG-01"
PRODUCT = Product(SKU, "Camp Mug", "A speckled enamel mug for the trail.", 1250)
FORM_URL = f"/products/{SKU}/photos"
# What a browser sends: the file part first (it comes first in the form), then the fields.
FIELDS = [
    ("email", b"ann@example.com"),
    ("display_name", b"Ann"),
    ("caption", b""),
    ("consent", b"true"),
    ("licence_version", CURRENT.encode()),
]
HOSTILE_NAME = '<b>Ann & "Co"</b>'
HOSTILE_CAPTION = "</textarea><script>alert(1)</script>"
HTML_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
_SEEDS = itertools.count(900)


def fresh_photo() -> bytes:
    """A photo this module has not sent before."""
    return samples.clean_jpeg(320, 240, seed=next(_SEEDS))


def stack(tmp_path_factory: pytest.TempPathFactory, **uploads: int) -> BackgroundWebStack:
    """The web app on real adapters in a fresh data dir, with one product."""
    settings = Settings(
        _env_file=None, data_dir=tmp_path_factory.mktemp("upload-form"), uploads=uploads
    )
    prepare(settings, [PRODUCT])
    return BackgroundWebStack(settings)


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BackgroundWebStack]:
    """The app with the per-address limit off: this module sends many photos from one address."""
    with stack(tmp_path_factory, per_ip_per_hour=0) as running:
        yield running


def send_form(
    web: BackgroundWebStack,
    file: bytes,
    fields: list[tuple[str, bytes]] = FIELDS,
    **file_options: bytes,
) -> httpx.Response:
    """POST the form as a browser without scripts does, without following the answer."""
    body, content_type = multipart_body(fields, file, **file_options)
    headers = {"Content-Type": content_type, "Accept": HTML_ACCEPT}
    return httpx.post(f"{web.url}{FORM_URL}", content=body, headers=headers, timeout=30)


def with_field(name: str, value: str) -> list[tuple[str, bytes]]:
    """FIELDS with `name` set to `value`."""
    return [(key, value.encode() if key == name else old) for key, old in FIELDS]


def alert_of(page: str) -> str:
    """The text of the form's error box, unescaped."""
    found = re.search(r'<div id="form-error"[^>]*role="alert"[^>]*>(.*?)</div>', page, re.S)
    assert found, "no error box shown"
    return html.unescape(found.group(1))


def test_a_photo_sent_without_scripts_lands_on_its_status_page(web: BackgroundWebStack) -> None:
    """Success is 303 See Other to the submission's status page, which shows it."""
    response = send_form(web, fresh_photo())

    assert response.status_code == 303, response.text
    location = response.headers["location"]
    assert re.fullmatch(r"/submissions/[0-9a-f]{32}", location)
    assert "Content-Security-Policy" in response.headers
    page = httpx.get(f"{web.url}{location}", timeout=10)
    assert page.status_code == 200
    assert "Your photo of Camp Mug" in page.text
    assert 'id="status-text"' in page.text


def test_the_same_photo_sent_again_leads_to_the_earlier_status_page(
    web: BackgroundWebStack,
) -> None:
    """The same file from the same email is sent to the first submission's page, not a new one."""
    photo = fresh_photo()
    first = send_form(web, photo)
    again = send_form(web, photo)

    assert first.status_code == again.status_code == 303
    assert again.headers["location"] == first.headers["location"]


def test_a_text_file_is_refused_on_the_product_page_with_the_typed_fields_kept(
    web: BackgroundWebStack,
) -> None:
    """The product page comes back with the server's message by the file field, and the
    typed name and caption back in place, escaped.
    """
    fields = with_field("display_name", HOSTILE_NAME)
    fields = [(k, HOSTILE_CAPTION.encode() if k == "caption" else v) for k, v in fields]
    response = send_form(
        web, samples.text_file(), fields, filename=b"note.txt", content_type=b"text/plain"
    )

    assert response.status_code == 415
    assert response.headers["content-type"].startswith("text/html")
    assert "Content-Security-Policy" in response.headers
    page = response.text
    assert alert_of(page).startswith("This is not a photo we accept.")
    assert 'data-code="unsupported_type" autofocus' in page
    assert re.search(r'<input id="file"[^>]*aria-invalid="true"', page)
    assert 'value="ann@example.com"' in page
    assert 'value="&lt;b&gt;Ann &amp; &#34;Co&#34;&lt;/b&gt;"' in page
    assert "&lt;/textarea&gt;&lt;script&gt;alert(1)&lt;/script&gt;</textarea>" in page
    assert "<script>alert" not in page
    assert re.search(r'<input id="consent"[^>]* checked', page)


def test_a_too_small_photo_is_refused_with_the_minimum_size(web: BackgroundWebStack) -> None:
    """A 60x40 photo is refused in the server's words, which give the 64 px minimum."""
    response = send_form(web, samples.tiny_jpeg())

    assert response.status_code == 400
    assert alert_of(response.text) == "The image is 60x40; both sides must be at least 64 px."


def test_a_missing_consent_is_shown_by_the_box_in_plain_words(web: BackgroundWebStack) -> None:
    """A form-field refusal is in customer words, on the field at fault, the rest kept."""
    fields = [(key, value) for key, value in FIELDS if key != "consent"]
    response = send_form(web, fresh_photo(), fields)

    assert response.status_code == 422
    assert alert_of(response.text).startswith("Please tick the box to accept the photo licence")
    assert re.search(r'<input id="consent"[^>]*aria-invalid="true"', response.text)
    assert not re.search(r'<input id="consent"[^>]* checked', response.text)
    assert 'value="ann@example.com"' in response.text


def test_the_form_help_gives_the_limits_from_the_settings(web: BackgroundWebStack) -> None:
    """The file help names the minimum side, the pixel and the size limits in force."""
    page = httpx.get(f"{web.url}/products/{SKU}", timeout=10).text

    help_text = re.search(r'<p id="file-help"[^>]*>(.*?)</p>', page, re.S)
    assert help_text
    assert "at least 64 px on each side" in help_text.group(1)
    assert "at most 64 megapixels and 15 MiB" in help_text.group(1)
    assert f'action="{FORM_URL}"' in page
    assert f'data-api="/api/products/{SKU}/photos"' in page


def test_the_api_still_answers_json(web: BackgroundWebStack) -> None:
    """The API route keeps its JSON contract, whatever the client accepts."""
    body, content_type = multipart_body(FIELDS, samples.tiny_jpeg())
    headers = {"Content-Type": content_type, "Accept": HTML_ACCEPT}
    url = f"{web.url}/api/products/{SKU}/photos"
    response = httpx.post(url, content=body, headers=headers, timeout=30)

    assert response.status_code == 400
    assert response.json()["error"] == "image_too_small"


def test_the_status_page_tells_its_script_the_final_states(web: BackgroundWebStack) -> None:
    """The states status.js stops polling at are rendered from FINAL, erased included."""
    location = send_form(web, fresh_photo()).headers["location"]
    page = httpx.get(f"{web.url}{location}", timeout=10).text

    found = re.search(r'data-final-states="([^"]*)"', page)
    assert found
    assert set(found.group(1).split()) == {str(status) for status in FINAL}
    assert "erased" in found.group(1).split()


def test_too_many_photos_are_refused_in_words_with_retry_after(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """Past the address's hourly share the page says how long to wait, with Retry-After."""
    with stack(tmp_path_factory, per_ip_per_hour=1) as limited:
        assert send_form(limited, fresh_photo()).status_code == 303
        response = send_form(limited, fresh_photo())

    assert response.status_code == 429
    assert int(response.headers["retry-after"]) > 0
    assert re.fullmatch(
        r"You have sent a lot of photos in a short time\. "
        r"Please wait about \d+ minutes and try again\.",
        alert_of(response.text),
    )
