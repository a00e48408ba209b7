# Full-text search on PostgreSQL: the unaccent extension, a Romanian text search configuration
# that ignores diacritics, the stored vector column, its backfill and its GIN index.
# Only the column is created on other databases; it stays empty there.

import django.contrib.postgres.search
from django.contrib.postgres.operations import CreateExtension
from django.db import migrations

CONFIG = "newsroom_ro"
INDEX = "article_search_vector_idx"

# unaccent() cannot appear in an index expression, but a text search configuration may use the
# unaccent dictionary: every word is unaccented, then stemmed as Romanian.
CREATE_CONFIG = f"""
CREATE TEXT SEARCH CONFIGURATION {CONFIG} (COPY = pg_catalog.romanian);
ALTER TEXT SEARCH CONFIGURATION {CONFIG}
    ALTER MAPPING FOR hword, hword_part, word WITH unaccent, romanian_stem;
"""

# Frozen copy of articles.search.search_vector() as it stands for this migration (a test checks
# they agree): headline A, standfirst B, body C with tags dropped and entities decoded.
BACKFILL = f"""
UPDATE articles_article SET search_vector =
    setweight(to_tsvector('{CONFIG}'::regconfig, coalesce(headline, '')), 'A')
    || setweight(to_tsvector('{CONFIG}'::regconfig, coalesce(standfirst, '')), 'B')
    || setweight(to_tsvector('{CONFIG}'::regconfig, coalesce(
        replace(replace(replace(replace(replace(
            regexp_replace(body, '<[^>]*>', ' ', 'g'),
            '&nbsp;', ' '), '&lt;', '<'), '&gt;', '>'), '&quot;', '"'), '&amp;', '&'),
        '')), 'C')
"""


def on_postgresql(schema_editor) -> bool:
    return schema_editor.connection.vendor == "postgresql"


def create_config(apps, schema_editor):
    if not on_postgresql(schema_editor):
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_ts_config WHERE cfgname = %s", [CONFIG])
        if cursor.fetchone() is None:
            cursor.execute(CREATE_CONFIG)


def drop_config(apps, schema_editor):
    if on_postgresql(schema_editor):
        schema_editor.execute(f"DROP TEXT SEARCH CONFIGURATION IF EXISTS {CONFIG}")


def backfill(apps, schema_editor):
    if on_postgresql(schema_editor):
        schema_editor.execute(BACKFILL)


def create_index(apps, schema_editor):
    # Not in Meta.indexes: a GinIndex there would break migrations on SQLite.
    if on_postgresql(schema_editor):
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON articles_article USING gin (search_vector)"
        )


def drop_index(apps, schema_editor):
    if on_postgresql(schema_editor):
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0003_reporter_and_editor_groups"),
    ]

    operations = [
        CreateExtension("unaccent"),
        migrations.RunPython(create_config, drop_config, elidable=False),
        migrations.AddField(
            model_name="article",
            name="search_vector",
            field=django.contrib.postgres.search.SearchVectorField(editable=False, null=True),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
        migrations.RunPython(create_index, drop_index),
    ]
