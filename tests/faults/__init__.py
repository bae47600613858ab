"""Fault and multi-instance tests: real gunicorn, Redis and PostgreSQL processes."""
