"""Declarations: members declare competences with traces; validators review them in-thread.

`bot/wiring.py` plugs in the commands, observers and steps; `cli` holds the exports.
"""
