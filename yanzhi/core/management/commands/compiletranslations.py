"""Compile every .po file under the project into .mo, in pure Python (no gettext needed), so a
fresh machine can set up without installing gettext."""

from pathlib import Path

import polib
from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Compile the project's .po translation files to .mo (pure Python)."

    def handle(self, *args, **options):
        count = 0
        for po_path in sorted((Path(settings.BASE_DIR) / "yanzhi").rglob("LC_MESSAGES/*.po")):
            polib.pofile(str(po_path)).save_as_mofile(str(po_path.with_suffix(".mo")))
            count += 1
        self.stdout.write(f"compiled {count} translation files")
