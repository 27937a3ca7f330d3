"""Members' rights (RGPD): first-contact notice, consent to be named, export, erasure, retention.

What is plugged into the bot is listed in `bot/wiring.py`.
"""
