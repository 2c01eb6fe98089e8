"""InMemoryScanner scripting: outcomes per request id, raised errors not stored, calls recorded."""

from __future__ import annotations

import pytest

from photogate.adapters.memory.scanner import InMemoryScanner, ScanCall, scan_result
from photogate.domain.scan import Verdict
from photogate.errors import ScannerBusy


async def test_scripted_outcomes_for_an_id_come_in_order_and_errors_are_not_stored() -> None:
    """A retried id takes its next outcome after an error, then keeps the result it got."""
    scanner = InMemoryScanner()
    failed = scan_result(Verdict.FAIL, violence=0.97, reasons=("red",))
    scanner.script("r-1", ScannerBusy("busy", retry_after=1.0), failed)
    with pytest.raises(ScannerBusy):
        await scanner.scan("r-1", b"a", "image/jpeg")
    assert (await scanner.scan("r-1", b"a", "image/jpeg")).verdict is Verdict.FAIL
    assert (await scanner.scan("r-1", b"a", "image/jpeg")).verdict is Verdict.FAIL
    assert scanner.scans == 2


async def test_outcomes_for_any_id_serve_ids_without_their_own_script() -> None:
    """script_next() answers the next new ids; after it runs out the default result applies."""
    scanner = InMemoryScanner()
    scanner.script_next(scan_result(Verdict.INCONCLUSIVE, sexual=0.55))
    first = await scanner.scan("a-1", b"a", "image/png")
    second = await scanner.scan("a-2", b"b", "image/png")
    assert (first.verdict, second.verdict) == (Verdict.INCONCLUSIVE, Verdict.PASS)
    assert (first.request_id, first.categories["sexual"]) == ("a-1", 0.55)


async def test_every_call_is_recorded_with_its_bytes() -> None:
    """calls lists each scan() as received, including ones answered from store."""
    scanner = InMemoryScanner()
    await scanner.scan("c-1", b"one", "image/webp")
    await scanner.scan("c-1", b"one", "image/webp")
    assert scanner.calls == [ScanCall("c-1", "image/webp", b"one")] * 2
    assert scanner.result_for("c-1") is not None
