"""``manage.py search_indexer``: keep the search index up to date from the outbox.

``make run`` starts it beside the web server: one per host. It builds the index first if
there is none (or it is of another schema), then polls the outbox; ``--once`` applies
what is pending and exits. A second indexer on the same index directory refuses to start.
"""

import signal
import threading

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS

from kb.search.index import SearchUnavailable, index_root
from kb.search.indexer import POLL_SECONDS, Indexer, IndexFault, IndexLocked, ensure_index


class Command(BaseCommand):
    help = "Apply the search outbox to the search index, continuously (or --once)."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Apply what is pending, exit.")
        parser.add_argument(
            "--interval",
            type=float,
            default=POLL_SECONDS,
            help=f"Seconds between polls of the outbox (default {POLL_SECONDS}).",
        )
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS)

    def handle(self, *args, once, interval, database, **options):
        if interval <= 0:
            raise CommandError("--interval must be a positive number of seconds.")
        verbose = options["verbosity"] > 0
        stop = threading.Event()
        if not once:
            for signum in (signal.SIGTERM, signal.SIGINT):
                signal.signal(signum, lambda *_: stop.set())
        indexer = Indexer(index_root(), using=database)
        try:
            built = ensure_index(index_root(), using=database, progress=verbose)
            if built and verbose:
                self.stdout.write(
                    f"Built the search index: {built.documents} documents in {built.seconds:.1f} s."
                )
            indexer.start()
            if once:
                done = indexer.apply_all()
                if verbose:
                    self.stdout.write(
                        f"Applied {done.rows} outbox rows ({done.documents} documents)."
                    )
                return
            if verbose:
                self.stdout.write(f"Search indexer running on {index_root()} (Ctrl-C stops).")
            indexer.run(interval=interval, should_stop=stop.is_set)
        except (IndexLocked, IndexFault, SearchUnavailable) as exc:
            raise CommandError(str(exc), returncode=2) from None
        finally:
            indexer.stop()
