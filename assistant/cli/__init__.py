"""The `audit-assistant` command line: `main.py` (the entry point and core subcommands), `figures.py`,
`compare.py`."""
