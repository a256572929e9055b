"""Print (or write into a Markdown file between markers) the table of API operations."""

import re
from pathlib import Path

from django.core.management.base import BaseCommand

START, END = "<!-- endpoints:start -->", "<!-- endpoints:end -->"
METHODS = ("get", "post", "put", "patch", "delete")


def endpoint_rows() -> list[tuple[str, str, str, str]]:
    from yanzhi.api import api

    schema = api.get_openapi_schema()
    rows = []
    for path, operations in schema["paths"].items():
        for method in METHODS:
            if method in operations:
                op = operations[method]
                tag = (op.get("tags") or [""])[0]
                summary = (op.get("description") or op.get("summary") or "").strip().splitlines()
                rows.append(
                    (
                        tag,
                        method.upper(),
                        path.removeprefix("/api/v1"),
                        summary[0] if summary else "",
                    )
                )
    return sorted(rows, key=lambda r: (r[0], r[2], METHODS.index(r[1].lower())))


def endpoint_table() -> str:
    lines = ["| area | method | path | what it does |", "|---|---|---|---|"]
    lines += [
        f"| {tag} | `{method}` | `{path}` | {text.replace('|', '/')} |"
        for tag, method, path, text in endpoint_rows()
    ]
    return "\n".join(lines)


def documented_operations(markdown: str) -> set[tuple[str, str]]:
    section = markdown[markdown.index(START) : markdown.index(END)]
    return set(re.findall(r"\| `(GET|POST|PUT|PATCH|DELETE)` \| `([^`]+)` \|", section))


class Command(BaseCommand):
    help = "Print the API endpoint table, or write it into a Markdown file between markers."

    def add_arguments(self, parser):
        parser.add_argument("--write", metavar="FILE")

    def handle(self, *args, write=None, **options):
        table = endpoint_table()
        if not write:
            self.stdout.write(table)
            return
        path = Path(write)
        text = path.read_text()
        head, rest = text.split(START, 1)
        _old, tail = rest.split(END, 1)
        path.write_text(f"{head}{START}\n{table}\n{END}{tail}")
        self.stdout.write(f"wrote {len(endpoint_rows())} operations into {path}")
