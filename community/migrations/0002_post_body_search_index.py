"""GIN index for full-text search over post bodies (PostgreSQL only).

The expression must stay identical to ``community.search.POST_SEARCH_VECTOR`` (a PostgreSQL test
runs EXPLAIN to check the index is used), so PostgreSQL can answer ``to_tsvector('english', body) @@ websearch_to_tsquery(...)``
from the index instead of scanning every post.

It is created through the schema editor rather than ``AddIndex`` so that the model state (and
``makemigrations --check``) is unaffected and SQLite, which has no GIN indexes, skips it.
"""

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector
from django.db import migrations

INDEX_NAME = "post_body_search"


def _index():
    return GinIndex(SearchVector("body", config="english"), name=INDEX_NAME)


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.add_index(apps.get_model("community", "Post"), _index())


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.remove_index(apps.get_model("community", "Post"), _index())


class Migration(migrations.Migration):
    dependencies = [("community", "0001_initial")]

    operations = [migrations.RunPython(create_index, drop_index, elidable=False)]
