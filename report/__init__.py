"""The operators' conversation report (issue 13): `python -m report`.

Reads the tracker store the advisor is configured with (infra/stores.py: SQLite by
default, PostgreSQL through the same variables), aggregates in SQL over Rasa's
`events` table, and writes one self-contained HTML page plus CSV files
(`report`), a Rasa NLU file of the messages the bot did not understand for a person
to correct (`review`), and deletes old conversations (`purge`). No sender id ever
leaves the database; quoted messages are masked (report/privacy.py).
"""
