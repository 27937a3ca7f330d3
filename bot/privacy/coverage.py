"""Which tables privacy covers, and why the others are not personal.

`tests/privacy/test_privacy_coverage.py` enumerates every table of the metadata and fails when one that
names a member or holds free text is in neither map: a new table must be given an export, an erasure
and a retention rule (or a reason it needs none) before it ships.
"""

from __future__ import annotations

# table → where export / erasure / retention handle it
COVERED: dict[str, str] = {
    "members": "export 'member'; erasure pseudonymises the row (name, id, choices)",
    "roles": "export 'roles'; deleted on erasure",
    "posts": "export 'posts'; own texts emptied and name/quotes scrubbed in others' on erasure; retention",
    "tags": "export 'tags' (of their posts); kept without text (statistics)",
    "questions": "export 'questions', 'questions_answered'; titles emptied/scrubbed on erasure; retention",
    "declarations": "export 'declarations'; trace emptied/scrubbed on erasure",
    "reviews": "export (reviews of theirs, reviews given); comments emptied/scrubbed on erasure",
    "outbox": "export 'messages_received' (failed ones with their text); rows about them deleted or "
              "redacted on erasure; delivered and failed rows purged by retention",
    "kv": "adapter state naming them deleted on erasure (Matrix DM rooms, privacy bookkeeping)",
    "spaces": "erasure removes them from the stored copy of the configuration (roles, groups)",
    "scheduled_steps": "steps about their questions and declarations cancelled on erasure; notes hold no text",
    "escalations": "export 'sos_messages'; kept for the SLA report, pointing at the pseudonymised row",
    "sos_assignments": "export 'sos_assignments'; reasons deleted/scrubbed on erasure and by retention",
    "sos_absences": "export 'absences' (with the reason typed); deleted on erasure; purged by retention once "
                    "ended",
    "sos_oncall_weeks": "export 'oncall_weeks'; deleted on erasure ('set by' cleared); purged by retention",
    "sos_rota_warnings": "export 'rota_warnings' (sent to them); deleted on erasure; purged by retention; "
                         "holds member ids and dates, no text",
    "sos_handovers": "export 'handovers'; kept for staff load, pointing at the pseudonymised row",
    "web_logins": "export 'dashboard_links' (no hash); deleted on erasure; purged once expired",
    "web_sessions": "export 'dashboard_sessions' (no hash); deleted on erasure; purged once expired",
    "event_failures": "export 'processing_failures'; deleted on erasure and by retention",
    "faq_entries": "export 'faq_entries' (curated by them); title and summary scrubbed on erasure (every "
                   "FAQ index rebuilt); cleared and retired by retention",
    "faq_suggestions": "export 'faq_suggestions' (shown to them); point at questions, hold no text",
}

# table → why nothing in it concerns a person
NOT_PERSONAL: dict[str, str] = {
    "processed_events": "platform event ids already handled (idempotency): no person, no text",
    "channels": "the space's configured rooms and channels",
    "digests_sent": "which weekly periods were posted per space",
}
