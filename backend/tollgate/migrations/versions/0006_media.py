"""media: request-log counts of images generated and seconds of audio transcribed; per-image and per-minute
price overrides

Revision ID: 0006_media
Revises: 0005_admin, 0005_alerts, 0005_metering, 0005_reports, 0005_surface
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_media"
down_revision = ("0005_admin", "0005_alerts", "0005_metering", "0005_reports", "0005_surface")
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("request_logs", sa.Column("images", sa.Integer(), nullable=False, server_default="0"))
    op.add_column("request_logs", sa.Column("audio_ms", sa.BigInteger(), nullable=False, server_default="0"))
    op.add_column("price_overrides", sa.Column("image_micros", sa.BigInteger(), nullable=True))
    op.add_column("price_overrides", sa.Column("audio_minute_micros", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("price_overrides") as batch:
        batch.drop_column("audio_minute_micros")
        batch.drop_column("image_micros")
    with op.batch_alter_table("request_logs") as batch:
        batch.drop_column("audio_ms")
        batch.drop_column("images")
