"""Recovery: operating the poison queues and re-queueing submissions that lost their message."""
