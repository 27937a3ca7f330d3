"""The community's memory: similar resolved questions on arrival, `/faq`, curated entries (issue 18)."""
