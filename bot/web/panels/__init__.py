"""The data of each dashboard section, as plain dicts and lists for the templates. Read-only queries."""
