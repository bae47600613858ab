"""The operator's reports (``flask --app bot report ...``, issue 19).

Each report is read from the database into a ``tables.Report`` (sheets of rows, the same
rows whatever the format), then written by ``writers`` as XLSX or CSV; the funnel is also
drawn by ``chart`` as a PNG. Which rows a report holds is said in each module.
"""
