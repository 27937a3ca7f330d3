"""Weekly digests: community post with a chart, personal DMs (opt-in), formateur DMs.

What is plugged into the bot is listed in `bot/wiring.py`.
"""
