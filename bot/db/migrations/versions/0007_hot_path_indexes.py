"""hot_path_indexes: indexes for what every post, sweep and portfolio asks (issue 17)

Each one replaces a scan of a table that grows with traffic (tests/core/test_query_plans.py):
- tags: by space (digests, dashboard); the space's corrections (a partial index: the tagging stamp
  read on every post counts trainer and removed rows only, a handful among millions of model tags);
- declarations by member (the reply observer, /portfolio, /bilan);
- scheduled steps by question and by declaration (cancelling a question's or a declaration's steps);
- posts by thread (the answer a ✅ accepts, thread histories); reviews by declaration;
- questions by space and date (the retention purge).

Revision ID: hot_path_indexes
Revises: faq
"""

import sqlalchemy as sa
from alembic import op

revision = "hot_path_indexes"
down_revision = "faq"
branch_labels = None
depends_on = None

CORRECTIONS = "(source = 'trainer' OR removed)"


def upgrade() -> None:
    op.create_index("ix_tags_space", "tags", ["space_id", "created_at"])
    op.create_index("ix_tags_corrections", "tags", ["space_id", "referential_id", "id"],
                    sqlite_where=sa.text(CORRECTIONS), postgresql_where=sa.text(CORRECTIONS))
    op.create_index("ix_declarations_member", "declarations", ["member_id", "state"])
    op.create_index("ix_steps_question", "scheduled_steps", ["question_id", "state"])
    op.create_index("ix_steps_declaration", "scheduled_steps", ["declaration_id", "state"])
    op.create_index("ix_posts_thread", "posts", ["platform", "platform_channel_id", "thread_root_id"])
    op.create_index("ix_reviews_declaration", "reviews", ["declaration_id"])
    op.create_index("ix_questions_space_created", "questions", ["space_id", "created_at"])
    # Found by the plan test after merging: the FAQ index reads a space's resolved questions, and
    # retention purges old handler failures by date.
    op.create_index("ix_questions_space_status", "questions", ["space_id", "status"])
    op.create_index("ix_event_failures_at", "event_failures", ["at"])


def downgrade() -> None:
    op.drop_index("ix_event_failures_at", "event_failures")
    op.drop_index("ix_questions_space_status", "questions")
    op.drop_index("ix_questions_space_created", "questions")
    op.drop_index("ix_reviews_declaration", "reviews")
    op.drop_index("ix_posts_thread", "posts")
    op.drop_index("ix_steps_declaration", "scheduled_steps")
    op.drop_index("ix_steps_question", "scheduled_steps")
    op.drop_index("ix_declarations_member", "declarations")
    op.drop_index("ix_tags_corrections", "tags")
    op.drop_index("ix_tags_space", "tags")
