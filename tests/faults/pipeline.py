"""The pipeline as real processes for fault tests: data dirs, web and workers, accounting."""

from __future__ import annotations

import email
import email.policy
import shutil
import sqlite3
import subprocess
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, closing, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.support.processes import free_port, healthy, photogate_process, wait_until

SKU = "FT-TENT-1"
FINAL = frozenset({"approved", "rejected", "needs_review", "failed"})
# Short timeouts and backoff, so faults cost seconds, not minutes; hangs outlast timeout_s.
FAST_ENV = {
    "PHOTOGATE_SCANNER__TIMEOUT_S": "1",
    "PHOTOGATE_QUEUE__VISIBILITY_TIMEOUT_S": "3",
    "PHOTOGATE_QUEUE__BACKOFF_BASE_S": "0.05",
    "PHOTOGATE_QUEUE__BACKOFF_MAX_S": "0.5",
    "PHOTOGATE_QUEUE__RECONCILE_AFTER_S": "10",
    "PHOTOGATE_QUEUE__RECONCILE_EVERY_S": "2",
    # A notifier killed mid-send holds its email for the claim's lease (1.25 x this).
    "PHOTOGATE_MAIL__SEND_DEADLINE_S": "2",
    # One address sends hundreds of photos of one product: the abuse limits would stop it,
    # and screening would hold the look-alike test pictures as near-copies of each other.
    "PHOTOGATE_UPLOADS__PER_IP_PER_HOUR": "0",
    "PHOTOGATE_UPLOADS__PER_EMAIL_PER_PRODUCT_PER_DAY": "0",
    "PHOTOGATE_SCREENING__PHASH_MAX_DISTANCE": "-1",
}


def make_template(directory: Path, log: Path) -> Path:
    """A migrated data dir with the one product the tests upload to (copied for each test)."""
    env = {"PHOTOGATE_DATA_DIR": str(directory)}
    with photogate_process(["db", "upgrade"], env, log) as migrate:
        assert migrate.wait(120) == 0, log.read_text()
    with closing(sqlite3.connect(directory / "catalog.sqlite3")) as db, db:
        db.execute(
            "INSERT INTO products (sku, name, description, price_cents, marketing_photos)"
            " VALUES (?, 'Fault-tolerant tent', 'Pitches itself again.', 19900, '[]')",
            (SKU,),
        )
    return directory


@dataclass(frozen=True)
class Pipeline:
    """A data dir, the environment every process of it gets, and its process log."""

    data_dir: Path
    env: dict[str, str]
    log: Path

    def process(self, args: list[str]) -> AbstractContextManager[subprocess.Popen[bytes]]:
        """`python -m photogate ARGS` with this pipeline's environment, stopped on exit."""
        return photogate_process(args, self.env, self.log)

    def catalog(self) -> sqlite3.Connection:
        """A connection to the catalog database (close it after use)."""
        return sqlite3.connect(f"file:{self.data_dir / 'catalog.sqlite3'}?mode=ro", uri=True)


def new_pipeline(
    template: Path, directory: Path, scanner_url: str, env: Mapping[str, str] = {}
) -> Pipeline:
    """A fresh copy of `template` wired to the scanner at `scanner_url`."""
    shutil.copytree(template, directory)
    full_env = {
        "PHOTOGATE_DATA_DIR": str(directory),
        "PHOTOGATE_SCANNER__URL": scanner_url,
        **FAST_ENV,
        **env,
    }
    return Pipeline(directory, full_env, directory / "processes.log")


@contextmanager
def web(pipeline: Pipeline) -> Iterator[str]:
    """The web process of `pipeline`; yields its base URL once it is healthy."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with pipeline.process(["web", "--port", str(port)]):
        wait_until(lambda: healthy(f"{url}/healthz"), 60, "the web process")
        yield url


def upload(url: str, data: bytes, name: str) -> str:
    """Upload one photo through the HTTP API; returns its submission id (202 Accepted only)."""
    form = {"email": "kim@example.com", "display_name": "Kim", "consent": "true", "caption": name}
    response = httpx.post(
        f"{url}/api/products/{SKU}/photos",
        data=form,
        files={"file": (name, data, "image/jpeg")},
        timeout=60,
    )
    assert response.status_code == 202, response.text
    return str(response.json()["id"])


def upload_all(url: str, images: Iterable[bytes], threads: int = 4) -> list[str]:
    """Upload every image, a few at a time; returns the submission ids in order."""
    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(lambda p: upload(url, p[1], f"p{p[0]}.jpg"), enumerate(images)))


def statuses(pipeline: Pipeline) -> dict[str, str]:
    """Every submission's current status, by id."""
    with closing(pipeline.catalog()) as db:
        return dict(db.execute("SELECT id, status FROM submissions").fetchall())


def wait_all_final(pipeline: Pipeline, ids: Iterable[str], timeout: float) -> dict[str, str]:
    """Poll the catalog until every one of `ids` is final; returns their statuses."""
    wanted = set(ids)

    def settled() -> dict[str, str] | None:
        now = {i: s for i, s in statuses(pipeline).items() if i in wanted}
        return now if len(now) == len(wanted) and set(now.values()) <= FINAL else None

    return wait_until(settled, timeout, f"{len(wanted)} submissions to be final", step=0.2)


@dataclass(frozen=True)
class Accounting:
    """What came out of the pipeline, counted per submission (Jepsen's total-queue idea)."""

    photos: Counter[str]  # customer_photos rows
    final_transitions: Counter[str]  # audit rows into a final state
    email_rows: Counter[str]  # emails rows (thank-yous and rejections)
    sent_emails: Counter[str]  # emails rows marked sent
    eml_files: Counter[str]  # .eml files in the outbox, by the submission they thank


def account(pipeline: Pipeline) -> Accounting:
    """Count the catalog rows, audit transitions and .eml files of every submission."""
    with closing(pipeline.catalog()) as db:
        photos = Counter(r[0] for r in db.execute("SELECT submission_id FROM customer_photos"))
        finals = db.execute(
            "SELECT submission_id FROM audit_log WHERE to_status IN (?, ?, ?, ?)", sorted(FINAL)
        )
        final_transitions = Counter(r[0] for r in finals)
        rows = db.execute("SELECT id, submission_id, status FROM emails").fetchall()
    owner = {email_id: submission for email_id, submission, _ in rows}
    sent = Counter(submission for _, submission, status in rows if status == "sent")
    files = Counter(owner.get(i, f"unknown:{i}") for i in _eml_email_ids(pipeline.data_dir))
    return Accounting(photos, final_transitions, Counter(owner.values()), sent, files)


def _eml_email_ids(data_dir: Path) -> list[str]:
    """The email id in each .eml file's Message-ID (one entry per file)."""
    ids = []
    for path in sorted((data_dir / "outbox").glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        ids.append(str(message["Message-ID"]).strip("<>").split("@", 1)[0])
    return ids


def scanner_json(scanner_url: str, path: str) -> dict[str, object]:
    """GET a JSON object from the reference scanner (/v1/stats, /v1/admin/faults)."""
    data = httpx.get(f"{scanner_url}{path}", timeout=10).json()
    assert isinstance(data, dict)
    return data


def duplicates(counts: Counter[str]) -> dict[str, int]:
    """The keys counted more than once."""
    return {key: n for key, n in counts.items() if n > 1}
