"""Caption screening: a reloadable blocklist of whole words, and personal data patterns."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from photogate.domain.scan import Thresholds
from photogate.domain.submission import Status
from photogate.errors import ConfigError
from photogate.intake.accept_upload import accept_upload
from photogate.scanning.scan_submission import ScanPolicy, scan_submission
from photogate.screening.blocklist import DEFAULT_PATH, Blocklist, read_terms
from photogate.screening.captions import screen_caption
from photogate.screening.findings import HitKind
from photogate.screening.personal_data import personal_data
from photogate.screening.screen import Screener
from photogate.settings import UploadSettings, load_settings
from tests.unit.conftest import Fakes, another_photo_file, form


@pytest.fixture
def blocklist(tmp_path: Path) -> Blocklist:
    """A blocklist file with a word, a phrase, an accented word and a comment."""
    path = tmp_path / "blocklist.txt"
    path.write_text("# words staff asked for\nscam\nbuy  now\ncafé crème\n", encoding="utf-8")
    return Blocklist(path)


def found(blocklist: Blocklist, text: str) -> list[str]:
    return [m.group() for m in blocklist.find(text)]


def rewrite(path: Path, text: str) -> None:
    """Replace the file and move its mtime on, as an editor saving a second later would."""
    before = path.stat().st_mtime_ns
    path.write_text(text, encoding="utf-8")
    os.utime(path, ns=(before + 1_000_000_000, before + 1_000_000_000))


# -- blocklist -----------------------------------------------------------------------------


def test_blocked_words_are_found_whole_in_any_case(blocklist: Blocklist) -> None:
    """Terms match as whole words, in any case, phrases across any whitespace."""
    assert found(blocklist, "What a SCAM. Buy\nnow!") == ["SCAM", "Buy\nnow"]


def test_words_containing_a_blocked_word_are_left_alone(blocklist: Blocklist) -> None:
    """A blocked word inside a longer word (or next to a digit or underscore) is no hit."""
    assert found(blocklist, "scampi, scams, scam_2, 2scam, buy nowhere") == []


def test_matching_is_unicode_aware(blocklist: Blocklist) -> None:
    """Accented terms match in any case, and accented letters count as part of a word."""
    assert found(blocklist, "Un CAFÉ CRÈME, s'il vous plaît") == ["CAFÉ CRÈME"]
    assert found(blocklist, "scamé et éscam") == []


def test_the_file_is_read_again_once_it_changes(blocklist: Blocklist) -> None:
    """Editing the file changes what is found at the next look, without a restart."""
    assert found(blocklist, "a scam and a fraud") == ["scam"]
    rewrite(blocklist.path, "fraud\n")
    assert found(blocklist, "a scam and a fraud") == ["fraud"]


def test_an_unreadable_file_keeps_the_last_good_list(blocklist: Blocklist) -> None:
    """A file that vanishes or is not UTF-8 keeps the previous terms until it is fixed."""
    blocklist.path.write_bytes(b"\xff\xfe\x00broken")
    os.utime(blocklist.path, ns=(1, 1))
    assert found(blocklist, "a scam") == ["scam"]
    blocklist.path.unlink()
    assert found(blocklist, "a scam") == ["scam"]
    blocklist.path.write_text("fraud\n", encoding="utf-8")
    assert found(blocklist, "a scam and a fraud") == ["fraud"]


def test_a_missing_file_at_start_up_is_a_config_error(tmp_path: Path) -> None:
    """Start-up with a blocklist that cannot be read fails, naming the variable to fix."""
    settings = load_settings(_env_file=None, screening={"blocklist_path": tmp_path / "nope.txt"})
    with pytest.raises(ConfigError, match="PHOTOGATE_SCREENING__BLOCKLIST_PATH"):
        Screener.from_settings(settings.screening)


def test_the_shipped_list_has_terms_and_no_duplicates() -> None:
    """The default list reads as one term per line and catches common spam."""
    terms = read_terms(DEFAULT_PATH.read_text(encoding="utf-8").splitlines())
    assert len(terms) == len({t.casefold() for t in terms}) > 10
    assert found(Blocklist(), "CLICK HERE for free money") == ["CLICK HERE", "free money"]


# -- personal data -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("caption", "kind", "text"),
    [
        ("write to kim.lee+tent@example.co.uk please", HitKind.EMAIL, "kim.lee+tent@example.co.uk"),
        ("ask jürgen@bücher.de", HitKind.EMAIL, "jürgen@bücher.de"),
        ("call +44 20 7946 0958 today", HitKind.PHONE, "+44 20 7946 0958"),
        ("ring 0049 30 1234567", HitKind.PHONE, "0049 30 1234567"),
        ("text (206) 555-0100", HitKind.PHONE, "(206) 555-0100"),
        ("555-123-4567 after six", HitKind.PHONE, "555-123-4567"),
        ("appelle le 06 12 34 56 78", HitKind.PHONE, "06 12 34 56 78"),
        ("mobile 07700900123", HitKind.PHONE, "07700900123"),
        ("I live at 221B Baker Street, London", HitKind.ADDRESS, "221B Baker Street"),
        ("1600 Pennsylvania Ave. NW", HitKind.ADDRESS, "1600 Pennsylvania Ave."),
        ("chez moi, 12 rue de la Paix", HitKind.ADDRESS, "12 rue de la Paix"),
        ("Hauptstraße 5 in Berlin", HitKind.ADDRESS, "Hauptstraße 5"),
    ],
)
def test_personal_data_is_found(caption: str, kind: HitKind, text: str) -> None:
    """Email addresses, phone numbers and street addresses are found, with their span."""
    [hit] = personal_data(caption)
    assert (hit.kind, hit.text, caption[hit.start : hit.end]) == (kind, text, text)


@pytest.mark.parametrize(
    "caption",
    [
        "Bought it for 1299 and it was worth every cent",
        "On 2024-01-15 we hiked 12.5 km, 15.03.2024 too",
        "Order 123456789 arrived in 2 days",
        "The 3 Person Tent is 210 x 150 x 110 cm",
        "Two days on the road, 4 way stretch, 10 Miles",
        "Follow @kim on insta, or kim at example dot com",
        "Model TT-TENT-2P, firmware 1.2.3.4, rated 4.5/5, 10/10",
        "from 2019-2023 it never leaked; sunrise at 6:30",
        "root@localhost is not an address",
    ],
)
def test_ordinary_captions_have_no_personal_data(caption: str) -> None:
    """Prices, dates, sizes, model numbers, handles and scores are not personal data."""
    assert list(personal_data(caption)) == []


def test_caption_hits_come_in_reading_order_without_overlaps(blocklist: Blocklist) -> None:
    """Blocked words and personal data are merged into one ordered list of separate spans."""
    caption = "scam! mail scam@example.com or call +1 206 555 0100"
    hits = screen_caption(caption, blocklist)
    assert [(h.kind, h.text) for h in hits] == [
        (HitKind.BLOCKED, "scam"),
        (HitKind.EMAIL, "scam@example.com"),
        (HitKind.PHONE, "+1 206 555 0100"),
    ]


# -- in the scan decision ------------------------------------------------------------------


async def test_a_caption_hit_sends_the_photo_to_review_naming_the_words(
    fakes: Fakes, tmp_path: Path, blocklist: Blocklist
) -> None:
    """A blocked word or personal data in the caption holds an approval back for people."""
    caption = "Total SCAM, call me on +44 20 7946 0958"
    path, size = another_photo_file(tmp_path)
    submission = await accept_upload(
        form(caption=caption), path, size, ports=fakes.ports, limits=UploadSettings()
    )
    policy = ScanPolicy(Thresholds(), screener=Screener(blocklist=blocklist))
    status = await scan_submission(submission.id, ports=fakes.ports, policy=policy)
    assert status is Status.NEEDS_REVIEW
    [*_, entry] = await fakes.catalog.audit_trail(submission.id)
    assert entry.actor == "screening"
    assert entry.reason == (
        "caption has blocked words: 'scam'; caption may show personal data: phone number"
    )
    assert "7946" not in entry.reason, "the audit trail keeps no copy of personal data"


async def test_a_clean_caption_is_approved(
    fakes: Fakes, tmp_path: Path, blocklist: Blocklist
) -> None:
    """A caption with nothing to flag changes nothing: the photo is approved."""
    path, size = another_photo_file(tmp_path)
    submission = await accept_upload(
        form(caption="Scampi by the tent, 2 days on the road"),
        path,
        size,
        ports=fakes.ports,
        limits=UploadSettings(),
    )
    policy = ScanPolicy(Thresholds(), screener=Screener(blocklist=blocklist))
    status = await scan_submission(submission.id, ports=fakes.ports, policy=policy)
    assert status is Status.APPROVED


def test_screening_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """PHOTOGATE_SCREENING__* set the checks; an impossible distance names its variable."""
    monkeypatch.setenv("PHOTOGATE_SCREENING__PHASH_MAX_DISTANCE", "4")
    monkeypatch.setenv("PHOTOGATE_SCREENING__CHECK_PERSONAL_DATA", "false")
    screener = Screener.from_settings(load_settings(_env_file=None).screening)
    assert (screener.phash_max_distance, screener.check_personal_data) == (4, False)
    assert screener.blocklist is not None and screener.blocklist.path == DEFAULT_PATH
    monkeypatch.setenv("PHOTOGATE_SCREENING__PHASH_MAX_DISTANCE", "40")
    with pytest.raises(ConfigError, match="PHOTOGATE_SCREENING__PHASH_MAX_DISTANCE"):
        load_settings(_env_file=None)
