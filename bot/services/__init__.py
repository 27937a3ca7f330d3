"""Commands that belong to no capability (help, language)."""
