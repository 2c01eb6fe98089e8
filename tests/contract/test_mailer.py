"""Contract of the Mailer port over every implementation, plus each one's own promises."""

from __future__ import annotations

import asyncio
import base64
import email
import email.policy
import logging
import re
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from photogate.adapters.file_mailer import SEVERAL, FileMailer
from photogate.adapters.memory.mailer import InMemoryMailer
from photogate.adapters.smtp_mailer import SmtpMailer
from photogate.errors import ConfigError, MailDeferred, MailRejected, MailUnconfirmed
from photogate.ports.mailer import Mailer
from photogate.settings import MailSettings
from tests.support.processes import free_port

SENDER = "Tailwind Traders <photos@tailwindtraders.example>"
USERNAME, PASSWORD = "photogate", "s3cret-Pa55"
Inbox = Callable[[], list[EmailMessage]]


def thank_you(to: str = "Zoë Ávila <zoe@example.com>", message_id: str = "") -> EmailMessage:
    """A thank-you email with a plain-text body and an HTML alternative, non-ASCII included."""
    message = EmailMessage()
    message["Subject"] = "Thank you for your photo, Zoë"
    message["From"] = SENDER
    message["To"] = to
    message["Date"] = formatdate()
    message["Message-ID"] = message_id or make_msgid(domain="tailwindtraders.example")
    message.set_content("Thanks, Zoë! Your photo is live.\n")
    message.add_alternative("<p>Thanks, <b>Zoë</b>! Your photo is live.</p>\n", subtype="html")
    return message


def parse(data: bytes) -> EmailMessage:
    """Parse raw RFC 5322 bytes into an EmailMessage."""
    parsed = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def body(message: EmailMessage, subtype: str) -> str:
    """The decoded text of the message's text/<subtype> part, with newlines for line ends."""
    part = message.get_body(preferencelist=(subtype,))
    assert part is not None
    # On the wire (and in .eml files) lines end with CRLF; that is not a change of content.
    return str(part.get_content()).replace("\r\n", "\n")


@dataclass
class Delivered:
    """What the test relay received: envelope and raw message."""

    mail_from: str
    rcpt_tos: list[str]
    content: bytes


@dataclass
class Relay:
    """An aiosmtpd handler that records messages and answers with planned replies."""

    rcpt_replies: dict[str, str] = field(default_factory=dict)
    data_reply: str = "250 OK"
    received: list[Delivered] = field(default_factory=list)

    async def handle_RCPT(  # noqa: N802 - aiosmtpd's hook name
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        reply = self.rcpt_replies.get(address, "250 OK")
        if reply.startswith("250"):
            envelope.rcpt_tos.append(address)
        return reply

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        if self.data_reply.startswith("250"):
            delivered = Delivered(envelope.mail_from, list(envelope.rcpt_tos), envelope.content)
            self.received.append(delivered)
        return self.data_reply


@dataclass
class Authenticator:
    """Accepts USERNAME/PASSWORD only and remembers who logged in."""

    logins: list[bytes] = field(default_factory=list)

    def __call__(
        self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        ok = isinstance(data, LoginPassword) and data == (USERNAME.encode(), PASSWORD.encode())
        if ok:
            self.logins.append(data.login)
        # handled=False makes aiosmtpd itself answer "535" on failure.
        return AuthResult(success=ok, handled=False)


@contextmanager
def running(handler: Relay, **smtp_options: Any) -> Iterator[int]:
    """Run an aiosmtpd server on a free loopback port; yields the port."""
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, **smtp_options)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


def smtp_mailer(port: int, **overrides: Any) -> SmtpMailer:
    """An SmtpMailer for a plain-text relay on loopback."""
    options: dict[str, Any] = {"smtp_security": "none", "smtp_timeout_s": 5.0} | overrides
    return SmtpMailer(
        MailSettings(backend="smtp", smtp_host="127.0.0.1", smtp_port=port, **options)
    )


@pytest.fixture
def relay() -> Iterator[tuple[Relay, int]]:
    """A recording SMTP relay that accepts everything."""
    handler = Relay()
    with running(handler) as port:
        yield handler, port


@pytest.fixture(params=["file", "memory", pytest.param("smtp", marks=pytest.mark.integration)])
def delivery(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Mailer, Inbox]:
    """Each Mailer with a way to read back, parsed, what it delivered."""
    if request.param == "file":
        outbox = FileMailer(tmp_path / "outbox")
        return outbox, lambda: [parse(path.read_bytes()) for path in outbox.files()]
    if request.param == "memory":
        memory = InMemoryMailer()
        return memory, lambda: memory.sent
    handler, port = request.getfixturevalue("relay")
    return smtp_mailer(port), lambda: [parse(got.content) for got in handler.received]


async def test_message_with_alternatives_arrives_intact(delivery: tuple[Mailer, Inbox]) -> None:
    """Headers, Message-ID and both the text and HTML bodies survive delivery."""
    mailer, inbox = delivery
    sent = thank_you()
    await mailer.send(sent)
    [got] = inbox()
    for header in ("Subject", "From", "To", "Message-ID", "Date"):
        assert str(got[header]) == str(sent[header])
    assert body(got, "plain") == "Thanks, Zoë! Your photo is live.\n"
    assert body(got, "html") == "<p>Thanks, <b>Zoë</b>! Your photo is live.</p>\n"


async def test_distinct_messages_arrive_separately(delivery: tuple[Mailer, Inbox]) -> None:
    """Two messages with different Message-IDs are two deliveries."""
    mailer, inbox = delivery
    await mailer.send(thank_you(to="ann@example.com"))
    await mailer.send(thank_you(to="bob@example.com"))
    assert sorted(str(got["To"]) for got in inbox()) == ["ann@example.com", "bob@example.com"]


@pytest.fixture(params=["file", "memory"])
def keeper(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Mailer, Inbox]:
    """Each Mailer that keeps copies of what it sent, with a way to read them back."""
    if request.param == "file":
        outbox = FileMailer(tmp_path / "outbox")
        return outbox, lambda: [parse(path.read_bytes()) for path in outbox.files()]
    memory = InMemoryMailer()
    return memory, lambda: memory.sent


async def test_forgetting_a_recipient_deletes_every_copy_sent_to_them(
    keeper: tuple[Mailer, Inbox],
) -> None:
    """Every kept message to the address (any capitals, with a display name, or among several
    recipients) goes, and is counted; messages to anyone else stay.
    """
    mailer, kept = keeper
    await mailer.send(thank_you(to="Zoë Ávila <Zoe@Example.com>"))
    await mailer.send(thank_you(to="zoe@example.com"))
    await mailer.send(thank_you(to="ann@example.com, ZOE@example.com"))
    await mailer.send(thank_you(to="bob@example.com"))
    assert await mailer.forget_recipient("zoe@EXAMPLE.com") == 3
    assert [str(message["To"]) for message in kept()] == ["bob@example.com"]


async def test_forgetting_a_recipient_again_or_an_unknown_one_deletes_nothing(
    keeper: tuple[Mailer, Inbox],
) -> None:
    """Forgetting is idempotent: the second time, and for an address never mailed, it is 0."""
    mailer, kept = keeper
    await mailer.send(thank_you(to="zoe@example.com"))
    await mailer.send(thank_you(to="bob@example.com"))
    assert await mailer.forget_recipient("zoe@example.com") == 1
    assert await mailer.forget_recipient("zoe@example.com") == 0
    assert await mailer.forget_recipient("nobody@example.com") == 0
    assert len(kept()) == 1


@pytest.mark.integration
async def test_smtp_mailer_has_nothing_to_forget(relay: tuple[Relay, int]) -> None:
    """Mail handed to the relay is out of our hands: forgetting deletes nothing, contacts no
    server, and says 0.
    """
    handler, port = relay
    mailer = smtp_mailer(port)
    await mailer.send(thank_you(to="zoe@example.com"))
    assert await mailer.forget_recipient("zoe@example.com") == 0
    assert len(handler.received) == 1


# --- FileMailer ---------------------------------------------------------------------------


async def test_file_mailer_overwrites_a_resent_message_id(tmp_path: Path) -> None:
    """Sending the same Message-ID twice leaves one file holding the later message."""
    mailer = FileMailer(tmp_path)
    await mailer.send(thank_you(to="first@example.com", message_id="<42@photogate>"))
    await mailer.send(thank_you(to="second@example.com", message_id="<42@photogate>"))
    [path] = mailer.files()
    assert str(parse(path.read_bytes())["To"]) == "second@example.com"


async def test_file_mailer_names_files_by_time_recipient_and_message_id(tmp_path: Path) -> None:
    """A file is named <UTC timestamp>_to-<address hash>_<sanitized Message-ID>-<hash>.eml,
    inside the folder; the hash is the same whatever the address's capitals.
    """
    mailer = FileMailer(tmp_path / "outbox")
    await mailer.send(thank_you(message_id="<../../etc/x y@photogate>"))
    await mailer.send(thank_you(to="ZOE@Example.COM", message_id="<2@photogate>"))
    first, second = mailer.files()
    assert first.parent == tmp_path / "outbox"
    name = r"\d{8}T\d{6}\.\d{6}Z_(to-[0-9a-f]{24})_etc_x_y@photogate-[0-9a-f]{12}\.eml"
    named = re.fullmatch(name, first.name)
    assert named is not None
    assert second.name.split("_")[1] == named[1]
    assert "zoe" not in first.name.lower()


async def test_file_mailer_writes_smtp_wire_format(tmp_path: Path) -> None:
    """Files use CRLF line ends, as RFC 5322 and mail clients expect."""
    mailer = FileMailer(tmp_path)
    await mailer.send(thank_you())
    data = mailer.files()[0].read_bytes()
    assert b"\r\n" in data
    assert b"\n" not in data.replace(b"\r\n", b"")


async def test_file_mailer_keeps_every_message_without_message_id(tmp_path: Path) -> None:
    """Messages lacking a Message-ID cannot be deduplicated, so each gets its own file."""
    mailer = FileMailer(tmp_path)
    for _ in range(2):
        message = thank_you()
        del message["Message-ID"]
        await mailer.send(message)
    assert len(mailer.files()) == 2


async def test_file_mailer_that_cannot_write_defers_the_message() -> None:
    """An outbox folder nobody may write in (a full or read-only disk) is a deferral, so the
    notifier releases its claim and sends again later, not an error that counts as a failure.
    """
    mailer = FileMailer(Path("/sys/kernel/photogate-outbox"))
    with pytest.raises(MailDeferred, match="could not write the message"):
        await mailer.send(thank_you())


async def test_file_mailer_leaves_no_temp_files(tmp_path: Path) -> None:
    """After sending, the outbox holds only .eml files."""
    mailer = FileMailer(tmp_path)
    await mailer.send(thank_you())
    assert [p.suffix for p in tmp_path.iterdir()] == [".eml"]


async def test_file_mailer_indexes_a_message_to_several_recipients_as_such(
    tmp_path: Path,
) -> None:
    """A message to several addresses (or none) is named to-several: erasure reads its headers."""
    mailer = FileMailer(tmp_path)
    await mailer.send(thank_you(to="ann@example.com, bob@example.com"))
    without = thank_you()
    del without["To"]
    await mailer.send(without)
    assert [path.name.split("_")[1] for path in mailer.files()] == [SEVERAL, SEVERAL]


async def test_file_mailer_renames_a_resent_message_id_for_its_new_recipient(
    tmp_path: Path,
) -> None:
    """Sent again to someone else, a message's one file is named for the new recipient (and
    keeps its time), so erasing the new recipient finds it and erasing the old one does not.
    """
    mailer = FileMailer(tmp_path)
    await mailer.send(thank_you(to="first@example.com", message_id="<42@photogate>"))
    [before] = mailer.files()
    await mailer.send(thank_you(to="second@example.com", message_id="<42@photogate>"))
    [after] = mailer.files()
    assert after.name != before.name
    assert after.name.split("_")[0] == before.name.split("_")[0]
    assert await mailer.forget_recipient("first@example.com") == 0
    assert await mailer.forget_recipient("second@example.com") == 1
    assert mailer.files() == []


async def test_file_mailer_forgets_files_written_before_names_had_a_recipient(
    tmp_path: Path,
) -> None:
    """An outbox of older .eml files (<time>_<Message-ID>.eml) is searched by To/Cc/Bcc headers:
    the recipient's files go, everyone else's stay.
    """
    for number, (header, to) in enumerate(
        [("To", "Zoë <ZOE@example.com>"), ("Bcc", "zoe@example.com"), ("To", "bob@example.com")]
    ):
        message = thank_you(to="someone@example.com" if header != "To" else to)
        if header != "To":
            message[header] = to
        name = f"20250101T000000.00000{number}Z_{number}_old@photogate-0123456789ab.eml"
        (tmp_path / name).write_bytes(message.as_bytes(policy=email.policy.SMTP))
    mailer = FileMailer(tmp_path)
    assert await mailer.forget_recipient("zoe@example.com") == 2
    [kept] = mailer.files()
    assert str(parse(kept.read_bytes())["To"]) == "bob@example.com"


@pytest.mark.parametrize("address", ["*", "*@example.com", "../outside.eml", "", "?*[a-z]*"])
async def test_file_mailer_forgets_nothing_for_a_tricky_address(
    tmp_path: Path, address: str
) -> None:
    """Glob patterns and paths in the address match no file: it is hashed, never a pattern."""
    outside = tmp_path / "outside.eml"
    outside.write_bytes(b"To: zoe@example.com\r\n\r\nkeep me\r\n")
    mailer = FileMailer(tmp_path / "outbox")
    await mailer.send(thank_you(to="ann@example.com"))
    await mailer.send(thank_you(to="bob@example.com, zoe@example.com"))
    assert await mailer.forget_recipient(address) == 0
    assert len(mailer.files()) == 2
    assert outside.exists()


async def test_file_mailer_never_follows_or_deletes_through_a_link(tmp_path: Path) -> None:
    """A symbolic link named like a message is neither read nor deleted, nor is its target."""
    target = tmp_path / "elsewhere.eml"
    target.write_bytes(thank_you(to="zoe@example.com").as_bytes(policy=email.policy.SMTP))
    outbox = tmp_path / "outbox"
    outbox.mkdir()
    (outbox / "20250101T000000.000000Z_to-several_x.eml").symlink_to(target)
    assert await FileMailer(outbox).forget_recipient("zoe@example.com") == 0
    assert target.exists()


async def test_file_mailer_forgets_nothing_in_an_outbox_never_written(tmp_path: Path) -> None:
    """Erasing before any email was sent finds nothing and creates no folder."""
    mailer = FileMailer(tmp_path / "outbox")
    assert await mailer.forget_recipient("zoe@example.com") == 0
    assert not (tmp_path / "outbox").exists()


# --- InMemoryMailer -----------------------------------------------------------------------


async def test_in_memory_mailer_fails_the_next_sends_on_request() -> None:
    """fail_next(2, error) makes two sends raise it; the third is recorded."""
    mailer = InMemoryMailer()
    mailer.fail_next(2, MailDeferred("relay busy"))
    for _ in range(2):
        with pytest.raises(MailDeferred, match="relay busy"):
            await mailer.send(thank_you())
    assert mailer.failures_left == 0
    await mailer.send(thank_you())
    assert len(mailer.sent) == 1


async def test_in_memory_mailer_records_a_snapshot(tmp_path: Path) -> None:
    """Changing a message after sending does not change what was recorded."""
    mailer = InMemoryMailer()
    message = thank_you(to="ann@example.com")
    await mailer.send(message)
    message.replace_header("To", "someone-else@example.com")
    assert str(mailer.sent[0]["To"]) == "ann@example.com"


# --- SmtpMailer ---------------------------------------------------------------------------


def test_smtp_mailer_requires_a_host() -> None:
    """Choosing SMTP without a host fails at start-up naming the variable."""
    with pytest.raises(ConfigError, match="PHOTOGATE_MAIL__SMTP_HOST"):
        SmtpMailer(MailSettings(backend="smtp"))


@pytest.mark.integration
async def test_smtp_envelope_uses_the_from_and_to_headers(relay: tuple[Relay, int]) -> None:
    """MAIL FROM and RCPT TO are the bare addresses of the From and To headers."""
    handler, port = relay
    await smtp_mailer(port).send(thank_you(to="Ann <ann@example.com>, bob@example.com"))
    [got] = handler.received
    assert got.mail_from == "photos@tailwindtraders.example"
    assert got.rcpt_tos == ["ann@example.com", "bob@example.com"]


@pytest.mark.integration
@pytest.mark.parametrize(
    ("handler", "error", "text"),
    [
        (Relay(rcpt_replies={"zoe@example.com": "451 try later"}), MailDeferred, "451 try later"),
        (Relay(data_reply="451 try later"), MailDeferred, "451 try later"),
        (Relay(rcpt_replies={"zoe@example.com": "550 no such user"}), MailRejected, "550"),
        (Relay(data_reply="554 spam detected"), MailRejected, "554 spam detected"),
    ],
    ids=["rcpt-451", "data-451", "rcpt-550", "data-554"],
)
async def test_smtp_replies_map_to_deferred_or_rejected(
    handler: Relay, error: type[Exception], text: str
) -> None:
    """4xx replies raise MailDeferred and 5xx MailRejected, quoting the server."""
    with running(handler) as port, pytest.raises(error, match=text):
        await smtp_mailer(port).send(thank_you())
    assert handler.received == []


ECHOED = "<zoe@example.com>: Recipient address rejected"


@pytest.mark.integration
@pytest.mark.parametrize(
    "handler",
    [
        Relay(rcpt_replies={"zoe@example.com": f"550 5.1.1 {ECHOED}"}),
        Relay(rcpt_replies={"zoe@example.com": f"450 4.2.0 {ECHOED}"}),
        Relay(data_reply=f"554 5.7.1 {ECHOED}"),
    ],
    ids=["rcpt-550", "rcpt-450", "data-554"],
)
async def test_smtp_errors_name_no_recipient_even_when_the_server_does(handler: Relay) -> None:
    """The error (kept in emails.last_error, poison records and logs) keeps the code and the
    server's words but not the address, nor a chained cause that holds it.
    """
    with running(handler) as port, pytest.raises((MailDeferred, MailRejected)) as caught:
        await smtp_mailer(port).send(thank_you())
    assert "zoe@example.com" not in str(caught.value)
    assert "<[address]>: Recipient address rejected" in str(caught.value)
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__


@pytest.mark.integration
async def test_smtp_mixed_refusals_are_permanent() -> None:
    """If every recipient is refused and one of them with 5xx, the message is rejected."""
    handler = Relay(rcpt_replies={"a@example.com": "451 later", "b@example.com": "550 no"})
    with running(handler) as port, pytest.raises(MailRejected, match="550 no"):
        await smtp_mailer(port).send(thank_you(to="a@example.com, b@example.com"))


@pytest.mark.integration
async def test_smtp_partial_refusal_still_counts_as_sent() -> None:
    """One accepted recipient means sent: a retry would send the others a duplicate."""
    handler = Relay(rcpt_replies={"gone@example.com": "550 no such user"})
    with running(handler) as port:
        await smtp_mailer(port).send(thank_you(to="ann@example.com, gone@example.com"))
    assert [got.rcpt_tos for got in handler.received] == [["ann@example.com"]]


@pytest.mark.integration
async def test_smtp_partial_refusal_is_logged_without_the_address(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The warning counts the refused recipients; the log outlives an erasure, so no address."""
    handler = Relay(rcpt_replies={"gone@example.com": "550 <gone@example.com> unknown"})
    with running(handler) as port, caplog.at_level(logging.WARNING):
        await smtp_mailer(port).send(thank_you(to="ann@example.com, gone@example.com"))
    assert "refused for 1 recipient(s)" in caplog.text
    assert "gone@example.com" not in caplog.text


@dataclass
class TakesThenFails(Relay):
    """A relay that takes the message (it is delivered) and then never answers it: the
    connection drops (`drop`), or the answer comes after the client stopped waiting.
    """

    drop: bool = True
    answer_after_s: float = 3.0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.received.append(
            Delivered(envelope.mail_from, list(envelope.rcpt_tos), envelope.content)
        )
        if self.drop:
            server.transport.abort()
        else:
            await asyncio.sleep(self.answer_after_s)  # a server this slow, past the client's wait
        return "250 OK"


@pytest.mark.integration
@pytest.mark.parametrize("drop", [True, False], ids=["connection-dropped", "answer-too-late"])
async def test_smtp_message_taken_but_not_answered_is_unconfirmed(drop: bool) -> None:
    """Once the whole message was handed over, a lost answer is MailUnconfirmed, not a
    deferral: the server has it, and a retry would deliver a second copy.
    """
    handler = TakesThenFails(drop=drop)
    unconfirmed = pytest.raises(MailUnconfirmed, match="took the message but did not answer")
    with running(handler) as port, unconfirmed:
        await smtp_mailer(port, smtp_timeout_s=0.5).send(thank_you())
    assert len(handler.received) == 1


@dataclass
class DropsAtRecipient(Relay):
    """A relay whose connection drops as the recipient is given, before any message."""

    async def handle_RCPT(  # noqa: N802 - aiosmtpd's hook name
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        server.transport.abort()
        return "250 OK"


@pytest.mark.integration
async def test_smtp_connection_dropped_before_the_message_is_deferred() -> None:
    """Dropped before DATA, nothing was handed over: MailDeferred, to be sent again."""
    handler = DropsAtRecipient()
    with running(handler) as port, pytest.raises(MailDeferred):
        await smtp_mailer(port).send(thank_you())
    assert handler.received == []


async def _closes_at_data(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """A server that greets, takes the envelope, and closes on DATA, before its 354."""
    writer.write(b"220 relay\r\n")
    while line := await reader.readline():
        if line.strip().upper() == b"DATA":
            break
        writer.write(b"250 OK\r\n")
        await writer.drain()
    writer.close()


@pytest.mark.integration
async def test_smtp_connection_dropped_at_data_before_its_go_ahead_is_deferred() -> None:
    """DATA sent but no "354 go ahead" yet: no byte of the message left, so it is deferred,
    to be sent again, not taken for delivered.
    """
    server = await asyncio.start_server(_closes_at_data, "127.0.0.1", 0)
    async with server:
        port = server.sockets[0].getsockname()[1]
        with pytest.raises(MailDeferred):
            await smtp_mailer(port, smtp_timeout_s=2.0).send(thank_you())


@pytest.mark.integration
async def test_smtp_nothing_listening_is_deferred() -> None:
    """A refused connection raises MailDeferred."""
    with socket.socket() as bound_not_listening:  # held, so nobody else can listen there
        bound_not_listening.bind(("127.0.0.1", 0))
        port = bound_not_listening.getsockname()[1]
        with pytest.raises(MailDeferred, match="unreachable"):
            await smtp_mailer(port).send(thank_you())


@pytest.mark.integration
async def test_smtp_silent_server_times_out_as_deferred() -> None:
    """A server that accepts the connection but never greets raises MailDeferred."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        mailer = smtp_mailer(silent.getsockname()[1], smtp_timeout_s=0.3)
        with pytest.raises(MailDeferred):
            await mailer.send(thank_you())


@pytest.mark.integration
async def test_smtp_logs_in_when_a_username_is_set(caplog: pytest.LogCaptureFixture) -> None:
    """With smtp_username set the mailer authenticates, and the password is never logged."""
    caplog.set_level(logging.DEBUG)
    handler, authenticator = Relay(), Authenticator()
    with running(handler, authenticator=authenticator, auth_require_tls=False) as port:
        mailer = smtp_mailer(port, smtp_username=USERNAME, smtp_password=PASSWORD)
        await mailer.send(thank_you())
    assert authenticator.logins == [USERNAME.encode()]
    assert len(handler.received) == 1
    assert PASSWORD not in caplog.text
    assert base64.b64encode(PASSWORD.encode()).decode() not in caplog.text


@pytest.mark.integration
async def test_smtp_wrong_password_is_rejected() -> None:
    """A 535 answer to AUTH raises MailRejected and sends nothing."""
    handler = Relay()
    with running(handler, authenticator=Authenticator(), auth_require_tls=False) as port:
        mailer = smtp_mailer(port, smtp_username=USERNAME, smtp_password="wrong")
        with pytest.raises(MailRejected, match="535"):
            await mailer.send(thank_you())
    assert handler.received == []


@pytest.mark.integration
async def test_smtp_starttls_never_falls_back_to_plain_text(relay: tuple[Relay, int]) -> None:
    """With smtp_security=starttls, a server without STARTTLS gets no message at all."""
    handler, port = relay
    with pytest.raises(MailRejected, match="STARTTLS"):
        await smtp_mailer(port, smtp_security="starttls").send(thank_you())
    assert handler.received == []
