"""The worker: consumes the scan and notification queues and keeps the outbox flowing."""
