"""Declarations: members declare competences with traces; validators review them in-thread.

`service` registers the commands, the post observer and the reminder steps; `cli` holds the exports.
"""
