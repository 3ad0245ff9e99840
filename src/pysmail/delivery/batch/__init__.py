"""Bulk sending: `smail --batch FILE` (CSV or JSON lines, or a folder of .eml files) and
`smail --eml FILE|-` (a finished RFC 5322 message, sent as is). docs/batch.md tells the user.

- rows: the batch file's rows (read_rows), and a folder's .eml files as jobs.
- templates: `{name}` placeholders in -s, -T/-F and --html (compile_template, render).
- plan: rows -> checked messages (plan_rows; every row is checked before the first
  connection), composed by one pysmail.mime.template.MessageTemplate.
- run: run_batch() and send_eml(), which the smail command calls; the connections and threads.
- report: the --report file, the lines printed for failed rows and the summary.

Batch file: a header row (CSV) or one JSON object per line. Columns/keys (case-insensitive):
`to` (required, SMAIL syntax: `a@x,CC:b@x,BCC:c@x`), `cc`, `bcc`, `subject` (used as is,
instead of the -s template), `attachments` (comma list of files in the attachments folder, added
to -a: the current folder, or --attach-dir; a name that leads out of it is refused). Every
column, these included, is a variable for the -s, -T/-F and --html templates.

Import the submodules directly; this package imports nothing.
"""

__all__: list[str] = []
