"""Mailer over an SMTP relay: Azure Communication Services, SendGrid or any submission server."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from email.message import EmailMessage
from typing import Any

import aiosmtplib

from photogate.errors import ConfigError, MailDeferred, MailRejected, MailUnconfirmed
from photogate.settings import MailSettings

log = logging.getLogger(__name__)

# Anything shaped like an address. Error texts end up in emails.last_error, poison records and
# logs, which outlive an erasure, so no customer address may be in them, nor in what the server
# said (servers often echo the recipient: "550 5.1.1 <kim@example.com>: user unknown").
_ADDRESS = re.compile(r"[^\s<>()\[\],;:\"']+@[^\s<>()\[\],;:\"']+")
_REDACTED = "[address]"


class SmtpMailer:
    """Sends each message over a fresh connection (thank-you mail is too rare to pool).

    smtp_security "starttls" insists on STARTTLS (never falls back to plain text), "tls"
    speaks TLS from the first byte (port 465), "none" is for a relay on loopback.
    """

    def __init__(self, settings: MailSettings) -> None:
        if not settings.smtp_host:
            raise ConfigError("PHOTOGATE_MAIL__SMTP_HOST: required when the mail backend is smtp")
        self._settings = settings

    async def send(self, message: EmailMessage) -> None:
        """Deliver the message; raises MailDeferred (4xx, unreachable), MailRejected (5xx) or
        MailUnconfirmed (the server's answer to the message itself never came).
        """
        client = self._client()
        try:
            async with client:
                refused, _ = await client.send_message(message)
        except (aiosmtplib.SMTPException, OSError) as exc:
            # Not chained: aiosmtplib's error names the recipient, and a logged traceback would too.
            raise _translate(exc, handed_over=client.handed_over) from None
        _log_sent(message, refused, self._settings.smtp_host)

    async def forget_recipient(self, address: str) -> int:
        """Nothing to delete: we keep no copy, and mail handed to the relay is in its hands and
        the recipient's, out of ours. An erasure cannot call it back; returns 0.
        """
        return 0

    def _client(self) -> _Client:
        s = self._settings
        return _Client(
            hostname=s.smtp_host,
            port=s.smtp_port,
            use_tls=s.smtp_security == "tls",
            start_tls=s.smtp_security == "starttls",
            username=s.smtp_username or None,
            password=s.smtp_password.get_secret_value() if s.smtp_username else None,
            timeout=s.smtp_timeout_s,
        )


class _Client(aiosmtplib.SMTP):
    """An SMTP client that knows whether it handed the whole message over: the server said
    "354, go ahead" to DATA, and the message and its closing "." went to the connection.
    """

    handed_over = False

    async def data(self, message: str | bytes, /, **options: Any) -> aiosmtplib.SMTPResponse:
        """Send DATA and the message (see aiosmtplib), noting when the message itself is sent.

        aiosmtplib writes "DATA", waits for 354, then writes the message with its closing
        line in one write: the write after the command's is the message.
        """
        protocol = self.protocol
        if protocol is None:
            return await super().data(message, **options)
        command_write = protocol.write

        def write(data: bytes) -> None:
            command_write(data)
            if data != b"DATA\r\n":
                self.handed_over = True

        protocol.write = write  # type: ignore[method-assign]
        try:
            return await super().data(message, **options)
        finally:
            del protocol.write  # the class's own again


def _translate(
    exc: Exception, *, handed_over: bool
) -> MailDeferred | MailRejected | MailUnconfirmed:
    """Map an aiosmtplib failure onto transient (4xx, network) or permanent (5xx) errors, or,
    once the message was handed over, a lost answer onto MailUnconfirmed.
    """
    if handed_over and not isinstance(exc, aiosmtplib.SMTPResponseException):
        # The server answers the message only once it has taken it: RFC 1047's window, in
        # which a retry is what sends the second copy.
        detail = _redacted(str(exc))
        return MailUnconfirmed(f"the mail server took the message but did not answer: {detail}")
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        return _from_refusals(exc.recipients)
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        return _from_reply(exc.code, exc.message)
    if isinstance(exc, OSError):  # refused connection, timeout, TLS handshake, disconnect
        return MailDeferred(f"mail server unreachable or not answering: {_redacted(str(exc))}")
    # What remains is the server lacking something we were told to use (STARTTLS, AUTH):
    # retrying will not change that, fixing the settings will.
    return MailRejected(f"mail server cannot be used as configured: {_redacted(str(exc))}")


def _redacted(text: str) -> str:
    """`text` with every email address in it replaced by [address]."""
    return _ADDRESS.sub(_REDACTED, text)


def _from_refusals(refusals: list[aiosmtplib.SMTPRecipientRefused]) -> MailDeferred | MailRejected:
    # The codes and the server's words, not whom they refused (see _ADDRESS).
    text = "; ".join(f"{r.code} {_redacted(r.message)}" for r in refusals)
    if all(400 <= r.code < 500 for r in refusals):
        return MailDeferred(f"mail server deferred every recipient: {text}")
    return MailRejected(f"mail server refused every recipient: {text}")


def _from_reply(code: int, message: str) -> MailDeferred | MailRejected:
    if 500 <= code < 600:
        return MailRejected(f"mail server rejected the message: {code} {_redacted(message)}")
    return MailDeferred(f"mail server asked to try later: {code} {_redacted(message)}")


def _log_sent(message: EmailMessage, refused: Mapping[str, object], host: str) -> None:
    message_id = message.get("Message-ID", "(no Message-ID)")
    if refused:
        # Some recipients got it: retrying would send them a duplicate, so we only report.
        count = len(refused)
        log.warning("mail %s sent via %s, but refused for %d recipient(s)", message_id, host, count)
    else:
        log.info("mail %s sent via %s", message_id, host)
