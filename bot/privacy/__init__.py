"""Members' rights (RGPD): first-contact notice, consent to be named, export, erasure, retention.

Importing `bot.privacy.service` registers the observers, commands and scheduled steps.
"""
