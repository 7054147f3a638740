from django.apps import AppConfig


class KbConfig(AppConfig):
    name = "kb"
    verbose_name = "Knowledge base"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # Cache invalidation, not business logic: any change to the content gives the
        # cached pages and ETags a new version (kb.cache). dispatch_uid: connected once.
        from django.db.models.signals import m2m_changed, post_delete, post_migrate, post_save

        from kb.cache import note_change

        for signal in (post_save, post_delete, m2m_changed):
            signal.connect(note_change, dispatch_uid=f"kb.cache.note_change.{id(signal)}")
        # SQLite drops a table's triggers when a migration rebuilds it: the search outbox's
        # are put back after every migrate (kb.search.outbox).
        from kb.search.outbox import after_migrate

        post_migrate.connect(after_migrate, sender=self, dispatch_uid="kb.search.outbox")
