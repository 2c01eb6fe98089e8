"""The console's caption highlight: flagged words in <mark>, every caption character escaped."""

from __future__ import annotations

from pathlib import Path

from markupsafe import Markup

from photogate.entrypoints.web.console.screening_view import highlighted
from photogate.screening.blocklist import Blocklist
from photogate.screening.captions import screen_caption
from photogate.screening.findings import CaptionHit, HitKind


def test_flagged_spans_are_marked_and_the_rest_is_plain_text() -> None:
    """Each hit becomes a <mark> naming its kind; the text around it is kept as it was."""
    caption = "Call 555-123-4567 now"
    html = highlighted(caption, screen_caption(caption, None))
    assert isinstance(html, Markup)
    assert str(html) == (
        'Call <mark class="flag" data-kind="phone number" title="phone number">'
        "555-123-4567</mark> now"
    )


def test_markup_in_a_caption_is_escaped_inside_and_outside_the_marks(tmp_path: Path) -> None:
    """A script in the caption comes out as text, even where a flagged word sits inside it."""
    path = tmp_path / "blocklist.txt"
    path.write_text("scam\n", encoding="utf-8")
    caption = "<script>alert('scam')</script><img src=x onerror=alert(1)> scam"
    html = str(highlighted(caption, screen_caption(caption, Blocklist(path))))
    assert "<script>" not in html and "<img" not in html
    assert html.startswith('&lt;script&gt;alert(&#39;<mark class="flag"')
    assert html.count('<mark class="flag" data-kind="blocked word"') == 2
    assert html.endswith(
        'onerror=alert(1)&gt; <mark class="flag" data-kind="blocked word" '
        'title="blocked word">scam</mark>'
    )


def test_a_hit_whose_text_is_markup_is_escaped_too() -> None:
    """Even a span that is itself markup is escaped inside its <mark>."""
    caption = "a <b>bold</b> claim"
    hit = CaptionHit(HitKind.BLOCKED, 2, 13, caption[2:13])
    assert str(highlighted(caption, [hit])) == (
        'a <mark class="flag" data-kind="blocked word" title="blocked word">'
        "&lt;b&gt;bold&lt;/b&gt;</mark> claim"
    )
