"""Hook implementations of the support plugin (its features land with the support issue)."""
