"""Model-independent parsing of uploaded spreadsheets (rosters, contracts, follow-ups).

``reader`` turns a file into numbered rows keyed by column, ``normalize`` cleans single cells,
``errorfile`` writes the rejected rows back out so users can fix and re-upload them.
"""
