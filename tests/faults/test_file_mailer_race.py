"""The file mailer writes one .eml per Message-ID even when two deliveries send it at once.

Found by the fault tests: each worker process relays the outbox, so two copies of one
notification can arrive together and be handled at the same time; the mailer's "look for an
earlier file, else pick a new name" then gave two files for one thank-you.
"""

from __future__ import annotations

import asyncio
from email.message import EmailMessage
from pathlib import Path

from photogate.adapters.file_mailer import FileMailer


def thank_you(number: int) -> EmailMessage:
    """A small message with a fixed Message-ID."""
    message = EmailMessage()
    message["To"] = "kim@example.com"
    message["Message-ID"] = f"<email-{number}@tailwindtraders.example>"
    message.set_content(f"Thank you, number {number}.\n")
    return message


async def test_concurrent_sends_of_one_message_leave_one_file(tmp_path: Path) -> None:
    """Two mailers (two processes, say) sending each message at the same time write one file."""
    first, second = FileMailer(tmp_path), FileMailer(tmp_path)
    for number in range(30):
        await asyncio.gather(first.send(thank_you(number)), second.send(thank_you(number)))
    files = first.files()
    assert len(files) == 30
    assert len({path.name.split("_", 1)[1] for path in files}) == 30


async def test_a_claim_left_by_a_crash_names_the_file_of_the_next_send(tmp_path: Path) -> None:
    """A sender that died between claiming a name and writing its file leaves no duplicate:
    the next sends write the claimed name, and the claim goes.
    """
    probe = FileMailer(tmp_path / "probe")
    await probe.send(thank_you(1))  # to learn the message's key: the file name after the time
    recipient, key = probe.files()[0].name.removesuffix(".eml").split("_", 2)[1:]
    outbox = tmp_path / "outbox"
    outbox.mkdir()
    mailer = FileMailer(outbox)
    claimed = f"20260101T000000.000000Z_{recipient}_{key}.eml"
    (outbox / f".{key}.claim").write_text(claimed)
    await asyncio.gather(mailer.send(thank_you(1)), mailer.send(thank_you(1)))
    assert [path.name for path in outbox.iterdir()] == [claimed]


async def test_sends_leave_only_eml_files(tmp_path: Path) -> None:
    """Claims are dropped once their file is written: the outbox holds only .eml files."""
    mailer = FileMailer(tmp_path)
    for number in range(5):
        await asyncio.gather(mailer.send(thank_you(number)), mailer.send(thank_you(number)))
    assert sorted(p.suffix for p in tmp_path.iterdir()) == [".eml"] * 5
