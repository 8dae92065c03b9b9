"""Hook implementations of the short URL plugin (its features land with the short URL issue)."""
