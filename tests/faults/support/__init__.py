"""Shared machinery of the fault tests: real servers, started and always stopped.

The fault tests run the service the way it is deployed (gunicorn processes of
``bot:create_app()``), talk to it over loopback HTTP with WeChat's signed, encrypted
messages, break something underneath it (a worker, Redis, PostgreSQL) and then read the
database to check that nothing the service acknowledged went missing or was doubled.

Everything here is bounded in time and cleans up after itself even when a test fails: each
server is a context manager whose ``finally`` stops exactly the processes it started (by
their own pid or process group, never by name), so a failing test cannot leave a stray
gunicorn, Redis or PostgreSQL behind on a machine other people share.

By job: ``processes`` (bounded waits, ports, stops), ``postgres`` and ``redis_servers``
(shared or private servers), ``service`` (gunicorn), ``cast`` (project and agents),
``load`` (filing messages from threads), ``accounting`` (rows held against replies) and
``fixtures`` (what conftest.py offers the tests).
"""
