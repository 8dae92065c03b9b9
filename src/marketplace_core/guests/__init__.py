"""Buying without an account: guest identities, their emailed links, attaching
their purchases to a full account (docs/guests.md)."""
