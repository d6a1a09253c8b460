"""portfolio series (UMEI baselines and meter readings)

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-07 04:49:00.849133
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply."""
    op.create_table('portfolio_series',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('portfolio_id', sa.Integer(), nullable=False),
    sa.Column('period_from', sa.String(length=40), nullable=False),
    sa.Column('period_to', sa.String(length=40), nullable=False),
    sa.Column('quantity', sa.Float(), nullable=False),
    sa.Column('quantity_type', sa.String(length=32), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.ForeignKeyConstraint(['portfolio_id'], ['portfolios.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('portfolio_series', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_portfolio_series_kind'), ['kind'], unique=False)



def downgrade() -> None:
    """Revert."""
    with op.batch_alter_table('portfolio_series', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_portfolio_series_kind'))

    op.drop_table('portfolio_series')
