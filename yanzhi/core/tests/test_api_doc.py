from pathlib import Path

from django.conf import settings

from yanzhi.core.management.commands.api_endpoints import documented_operations, endpoint_rows


def test_docs_api_lists_exactly_the_operations_of_the_api():
    markdown = (Path(settings.BASE_DIR) / "docs" / "api.md").read_text()
    actual = {(method, path) for _tag, method, path, _text in endpoint_rows()}
    documented = documented_operations(markdown)
    assert actual, "the API has no operations?"
    assert documented == actual, (
        f"run scripts/api_doc: missing {sorted(actual - documented)}, stale {sorted(documented - actual)}"
    )
