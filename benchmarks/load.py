"""Build the benchmark's PostgreSQL database: N stories written by seed_demo's newsdesk, COPied in.

The database is made afresh for each size (dropped if it holds another one): migrated, then
sections, authors, tags and a small pool of pictures come from seed_demo (pictures and their
renditions are drawn once and kept in the media folder), and the stories, bylines, tags and
corrections stream in through COPY while secondary indexes are dropped. A trigger fills the
search vector as rows arrive (the expression is articles.search's own); indexes are rebuilt and
the tables vacuumed at the end. A row in `bench_loaded` marks a finished load.
"""

import contextlib
import threading
import time
from datetime import timedelta
from queue import Full, Queue
from typing import cast
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

LOADED_TABLE = "bench_loaded"
CONTENT_TABLES = [
    "articles_article",
    "articles_articleauthor",
    "taggit_taggeditem",
    "articles_correction",
]
CHUNK = 2000


def conninfo(database_url: str) -> str:
    parts = urlsplit(database_url)
    return urlunsplit(("postgresql", parts.netloc, parts.path, parts.query, ""))


def database_name(database_url: str) -> str:
    return urlsplit(database_url).path.lstrip("/")


def maintenance_url(database_url: str) -> str:
    parts = urlsplit(database_url)
    return urlunsplit(("postgresql", parts.netloc, "/postgres", parts.query, ""))


def loaded(database_url: str) -> dict | None:
    """What the database holds from a finished load ({"articles": N, "seed": S}), or None."""
    try:
        with psycopg.connect(conninfo(database_url), autocommit=True) as connection:
            row = connection.execute(
                f"SELECT articles, seed FROM {LOADED_TABLE} ORDER BY finished DESC LIMIT 1"
            ).fetchone()
    except psycopg.Error:
        return None
    return {"articles": row[0], "seed": row[1]} if row else None


def recreate_database(database_url: str) -> None:
    name = database_name(database_url)
    with psycopg.connect(maintenance_url(database_url), autocommit=True) as connection:
        connection.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def search_vector_sql() -> str:
    """articles.search.search_vector() as SQL over NEW.*, for the loading trigger."""
    from django.db import connection

    from articles.models import Article
    from articles.search import search_vector

    query = Article.objects.annotate(vector=search_vector()).values("vector").query
    compiler = query.get_compiler(connection=connection)
    expression, params = compiler.compile(query.annotations["vector"])
    with connection.cursor() as cursor:
        rendered = cursor.mogrify(expression, params)
    if isinstance(rendered, bytes):
        rendered = rendered.decode()
    return rendered.replace('"articles_article".', "NEW.")


def secondary_indexes(connection, tables: list[str]) -> list[tuple[str, str]]:
    """(name, definition) of indexes that back no constraint: dropped while loading."""
    return connection.execute(
        """
        SELECT i.indexname, i.indexdef FROM pg_indexes i
        WHERE i.schemaname = 'public' AND i.tablename = ANY(%s)
          AND NOT EXISTS (
            SELECT 1 FROM pg_constraint c JOIN pg_class x ON x.oid = c.conindid
            WHERE x.relname = i.indexname
          )
        """,
        [tables],
    ).fetchall()


def skip_foreign_key_checks(cursor) -> None:
    """The rows are consistent by construction; checking each one doubles the loading time."""
    try:
        cursor.execute("SET session_replication_role = replica")
    except psycopg.errors.InsufficientPrivilege:
        cursor.connection.rollback()  # not a superuser: check them after all


class Loader:
    """Writes `count` stories with seed_demo's Newsdesk and streams them into PostgreSQL."""

    def __init__(self, database_url: str, count: int, seed: int, progress: bool = True):
        self.database_url = database_url
        self.count = count
        self.seed = seed
        self.progress = progress
        self.timings: dict[str, float] = {}

    def run(self) -> dict:
        started = time.monotonic()
        from django.core.management import call_command

        call_command("migrate", verbosity=0, interactive=False)
        self.timings["migrate"] = time.monotonic() - started
        desk = self.newsdesk()
        self.timings["setup"] = time.monotonic() - started - self.timings["migrate"]
        with psycopg.connect(conninfo(self.database_url), autocommit=True) as connection:
            indexes = secondary_indexes(connection, CONTENT_TABLES)
            for name, _definition in indexes:
                connection.execute(sql.SQL("DROP INDEX {}").format(sql.Identifier(name)))
            connection.execute(
                f"""
                CREATE OR REPLACE FUNCTION bench_search_vector() RETURNS trigger AS $$
                BEGIN NEW.search_vector := {search_vector_sql()}; RETURN NEW; END
                $$ LANGUAGE plpgsql
                """
            )
            connection.execute(
                "CREATE TRIGGER bench_search_vector BEFORE INSERT ON articles_article "
                "FOR EACH ROW EXECUTE FUNCTION bench_search_vector()"
            )
            connection.execute(
                "ALTER TABLE articles_article ENABLE ALWAYS TRIGGER bench_search_vector"
            )
            copying = time.monotonic()
            self.copy_stories(desk)
            connection.execute("SELECT 1")  # still there after the children finished
            self.timings["copy"] = time.monotonic() - copying
            connection.execute("DROP TRIGGER bench_search_vector ON articles_article")
            connection.execute("DROP FUNCTION bench_search_vector()")
            connection.execute(
                "SELECT setval(pg_get_serial_sequence('articles_article', 'id'), "
                "(SELECT max(id) FROM articles_article))"
            )
            indexing = time.monotonic()
            connection.execute("SET maintenance_work_mem = '256MB'")
            self.rebuild(indexes)
            self.timings["indexes"] = time.monotonic() - indexing
            vacuuming = time.monotonic()
            for table in CONTENT_TABLES:
                connection.execute(sql.SQL("VACUUM (ANALYZE) {}").format(sql.Identifier(table)))
            self.timings["vacuum"] = time.monotonic() - vacuuming
            connection.execute(
                f"CREATE TABLE IF NOT EXISTS {LOADED_TABLE} "
                "(articles integer, seed integer, seconds real, finished timestamptz)"
            )
            self.timings["total"] = time.monotonic() - started
            connection.execute(
                f"INSERT INTO {LOADED_TABLE} VALUES (%s, %s, %s, now())",
                [self.count, self.seed, self.timings["total"]],
            )
        return self.timings

    def rebuild(self, indexes: list[tuple[str, str]]) -> None:
        """Recreate the dropped indexes, two at a time (one per core)."""
        pending: Queue = Queue()
        for _name, definition in sorted(indexes, key=lambda item: "gin" not in item[1]):
            pending.put(definition)
        errors: list[BaseException] = []

        def work():
            with psycopg.connect(conninfo(self.database_url), autocommit=True) as connection:
                connection.execute("SET maintenance_work_mem = '256MB'")
                while not pending.empty():
                    try:
                        definition = pending.get_nowait()
                    except Exception:
                        return
                    try:
                        connection.execute(definition)
                    except BaseException as exc:  # reported by the caller
                        errors.append(exc)

        workers = [threading.Thread(target=work) for _ in range(2)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        if errors:
            raise errors[0]

    def newsdesk(self):
        """Sections, authors, tags, pictures and menus (small, through the ORM) and the desk."""
        from django.db import transaction

        from newsroom.chrome.models import AdSlot, Menu, SiteSettings
        from newsroom.demo.management.commands import seed_demo
        from newsroom.demo.management.commands.setup_demo import create_menus

        with transaction.atomic():
            sections = seed_demo.ensure_sections()
            authors = seed_demo.ensure_authors(self.seed)
            tags = seed_demo.ensure_tags()
            SiteSettings.load()
            if not Menu.objects.exists():
                create_menus()
            if not AdSlot.objects.exists():
                # A realistic page carries a few slots; HTML ones need no image files.
                for placement, after in (("top", 3), ("sidebar", 3), ("in_story", 2)):
                    AdSlot.objects.create(
                        name=f"Bench {placement}",
                        placement=placement,
                        after_paragraph=after,
                        html=f"<p><strong>Promo</strong> {placement}</p>",
                        link="https://example.com/",
                    )
        pool = seed_demo.ensure_image_pool(self.seed, sections, 3)
        return seed_demo.Newsdesk(self.seed, sections, authors, tags, pool, self.count)

    def copy_stories(self, desk) -> None:
        """Two processes (one per core), each writing its share of the stories and COPYing it
        on two connections: stories on one, bylines, tags and notes on the other."""
        import multiprocessing

        from django.contrib.contenttypes.models import ContentType
        from django.db import connections
        from tqdm import tqdm

        from articles.models import Article

        content_type = ContentType.objects.get_for_model(Article).pk
        first_id = (Article.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
        connections.close_all()  # the children must not share the parent's connections
        context = multiprocessing.get_context("fork")
        done = context.Value("q", 0)
        shares = [(self.count * n) // WORKERS for n in range(WORKERS + 1)]
        workers = [
            context.Process(
                target=copy_share,
                args=(self.database_url, desk, n, shares[n], shares[n + 1], first_id),
                kwargs={"content_type": content_type, "seed": self.seed, "done": done},
                name=f"bench-load-{n}",
            )
            for n in range(WORKERS)
        ]
        for worker in workers:
            worker.start()
        with tqdm(
            total=self.count, unit=" stories", smoothing=0.05, disable=not self.progress
        ) as progress:
            while any(worker.is_alive() for worker in workers):
                time.sleep(0.5)
                progress.update(done.value - progress.n)
                if any(worker.exitcode not in (None, 0) for worker in workers):
                    for worker in workers:  # one failed: the load is lost, stop the other
                        if worker.is_alive():
                            worker.kill()
            progress.update(done.value - progress.n)
        failed = [worker.name for worker in workers if worker.exitcode != 0]
        if failed:
            raise RuntimeError(f"loading failed in {', '.join(failed)}")


WORKERS = 2


def copy_share(*args, **kwargs) -> None:
    """copy_share_of() in a child process; any failure ends the process at once, with status 1
    (a lost connection must not leave a thread waiting for work that will never come)."""
    import os
    import traceback

    try:
        copy_share_of(*args, **kwargs)
    except BaseException:
        traceback.print_exc()
        os._exit(1)


def copy_share_of(
    database_url: str,
    desk,
    worker: int,
    first: int,
    last: int,
    first_id: int,
    *,
    content_type: int,
    seed: int,
    done,
) -> None:
    """Stories first..last-1 of the run (ids first_id + index), in a process of its own."""
    import random

    from django.db import connection as django_connection
    from django.utils.text import slugify

    from articles.models import Article

    if worker:
        # Each process draws from its own stream; the first one writes the coverage cases.
        desk.rng = random.Random(f"{seed}-stories-{worker}")
    fields = [
        field
        for field in Article._meta.concrete_fields
        if field.attname not in ("id", "search_vector")
    ]
    # Concrete fields all have a column (the stubs allow None for the others).
    columns = ["id", *(cast(str, field.column) for field in fields)]
    links: Queue = Queue(maxsize=8)
    link_error: list[BaseException] = []

    def copy_links():
        try:
            with (
                psycopg.connect(conninfo(database_url)) as connection,
                connection.cursor() as cursor,
            ):
                skip_foreign_key_checks(cursor)
                cursor.execute("SET synchronous_commit = off")
                while (chunk := links.get()) is not None:
                    for statement, rows in zip(LINK_COPIES, chunk, strict=True):
                        with cursor.copy(statement) as copy:
                            for row in rows:
                                copy.write_row(row)
        except BaseException as exc:
            link_error.append(exc)
            while links.get() is not None:  # let the producer finish
                pass

    helper = threading.Thread(target=copy_links, name="copy-links", daemon=True)
    helper.start()
    now = desk.now
    try:
        with psycopg.connect(conninfo(database_url)) as connection, connection.cursor() as cursor:
            skip_foreign_key_checks(cursor)
            cursor.execute("SET synchronous_commit = off")
            statement = sql.SQL("COPY articles_article ({}) FROM STDIN").format(
                sql.SQL(", ").join(map(sql.Identifier, columns))
            )
            with cursor.copy(statement) as copy:
                for start in range(first, last, CHUNK):
                    bylines, tagged, notes = [], [], []
                    for index in range(start, min(start + CHUNK, last)):
                        pk = first_id + index
                        article, extra = desk.write(index)
                        article.pk = pk
                        article.slug = f"{slugify(article.headline)[:90].strip('-')}-{pk:x}"
                        live = article.publish_at is not None and article.publish_at <= now
                        # A story from March was written, and last changed, in March.
                        article.created_at = (
                            article.publish_at - timedelta(minutes=95) if live else now
                        )
                        article.modified_at = (
                            (article.updated_at or article.publish_at) if live else now
                        )
                        values = [getattr(article, field.attname) for field in fields]
                        copy.write_row(
                            [
                                pk,
                                *(
                                    field.get_db_prep_save(value, django_connection)
                                    for field, value in zip(fields, values, strict=True)
                                ),
                            ]
                        )
                        bylines += [
                            (pk, author.pk, position)
                            for position, author in enumerate(extra["authors"])
                        ]
                        tagged += [(content_type, pk, desk.tag_ids[name]) for name in extra["tags"]]
                        if note := extra["note"]:
                            notes.append((pk, note["kind"], note["text"], note["created_at"]))
                    while True:  # hand the chunk over, unless the other connection failed
                        if link_error:
                            raise link_error[0]
                        try:
                            links.put((bylines, tagged, notes), timeout=1)
                            break
                        except Full:
                            continue
                    with done.get_lock():
                        done.value += min(start + CHUNK, last) - start
            connection.commit()
    finally:
        with contextlib.suppress(Full):
            links.put(None, timeout=5)
        helper.join(timeout=60)
    if link_error:
        raise link_error[0]


LINK_COPIES = [
    "COPY articles_articleauthor (article_id, author_id, position) FROM STDIN",
    "COPY taggit_taggeditem (content_type_id, object_id, tag_id) FROM STDIN",
    "COPY articles_correction (article_id, kind, text, created_at) FROM STDIN",
]


def needs_loading(database_url: str, count: int, seed: int, force: bool = False) -> bool:
    """Whether the database lacks a finished load of `count` stories from `seed`.

    Asked before Django connects: a database that must be rebuilt is dropped and made afresh.
    """
    if not force and loaded(database_url) == {"articles": count, "seed": seed}:
        return False
    recreate_database(database_url)
    return True
