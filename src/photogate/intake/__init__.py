"""Stage 1, intake: check an upload, keep the original in quarantine and queue it for scanning."""
