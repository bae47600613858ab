"""Benchmarks of the webhook (``python -m bench.webhook``); the service never imports this."""
