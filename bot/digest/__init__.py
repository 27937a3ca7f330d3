"""Weekly digests: community post with a chart, personal DMs (opt-in), formateur DMs.

`service` registers the schedule (startup hook, step handlers) and the `/digest` command.
"""
