"""Imports of the sales system's and the site's spreadsheets (issue 19 item 2; R3, R9).

``readers`` turns a CSV or XLSX file into rows of cells; the pure
``models.policy.import_rows`` reads each row; ``known`` and ``sales`` write them in
batches, each batch its own transaction, so a 100,000-row file streams through in
constant memory and an interrupted import is finished by running it again (idempotent).
"""
