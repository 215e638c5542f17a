"""The import framework every spreadsheet import shares (rosters, contracts, follow-ups,
settlements).

An import brings only what is its own: its columns (a tuple of :class:`reader.ColumnSpec`),
its normalisers, its plan (what each row becomes, checked against the database in bulk) and its
writer.  The rest is here:

- :mod:`.reader`: finds the header row wherever it is and decodes xlsx, xls and csv in any
  encoding counties send, refusing with a user-facing message (:class:`reader.FileRefused`)
  what it cannot read, what is too large, and archives that would inflate too far (zip bombs);
- :mod:`.normalize`: the cell normalisers every import uses (text, dates, years, 是/否, phones,
  choices), raising :class:`normalize.CellError`;
- :mod:`.results`: row notes (row, column, value, reason) and :class:`results.ImportOutcome`:
  all or nothing unless ``skip_invalid``, dry-run preview, every row not imported named,
  the error workbook (:mod:`.errorfile`);
- :mod:`.jobs`: an import as a background job by kind, with progress, heartbeat and the error
  workbook; :mod:`.views`: one set of job pages for every kind (``/imports/<slug>/``: the job, its
  progress, the error workbook, the user's recent jobs), each kind saying in its registration
  who may see them, its title, its upload page and its counts; the upload size cap;
- :mod:`.command`: the management-command base with exit codes 0 (applied), 1 (refused),
  2 (the file or the arguments unusable);
- :mod:`.bulk`: the bulk-write machinery (PostgreSQL COPY, key reservation, array look-ups).
"""
