"""Every write of the backups app (house rule 1): the erasure ledger's entries and their
marks in the database (`ledger`), re-applying erasures after a restore (`replay`), and
the audit events of backups and restores (`records`). Audit events carry ids, sequence
numbers, hashes and counts only."""
