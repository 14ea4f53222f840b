"""Fail the HTML build when a page links to something the site does not have.

Sphinx (with ``-W``) already fails on a Markdown link to a missing page or heading; this also
covers what it does not see: raw HTML in notebooks, images, the theme's own links, and ``#anchors``
into other pages. Every relative ``href``/``src`` of every written page must name an existing file
and, with a fragment, an ``id`` on that page. External links need the network: check them with
``sphinx-build -b linkcheck -c docs . build/linkcheck`` where there is one.
"""
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

from sphinx.errors import ExtensionError


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links, self.ids = [], set()

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if not value:
                continue
            if name in ("id", "name"):
                self.ids.add(value)
            elif name in ("href", "src"):
                self.links.append(value)


def _parse(path, cache):
    if path not in cache:
        parser = _Links()
        parser.feed(path.read_text(encoding="utf-8", errors="replace"))
        cache[path] = parser
    return cache[path]


def broken_links(outdir):
    """``[(page, link, why), ...]`` for every relative link of the HTML under ``outdir`` that leads nowhere."""
    outdir = Path(outdir)
    cache, broken = {}, []
    for page in sorted(outdir.rglob("*.html")):
        if page.relative_to(outdir).parts[0] == "_static":
            continue  # the theme's template snippets, not pages
        for link in _parse(page, cache).links:
            parts = urlsplit(link)
            if parts.scheme or link.startswith("//"):
                continue  # external (http, https, mailto, data, javascript): needs the network
            target = (page.parent / unquote(parts.path)).resolve() if parts.path else page
            if target.is_dir():
                target = target / "index.html"
            if not target.exists():
                broken.append((page.relative_to(outdir), link, "no such file"))
            elif parts.fragment and target.suffix == ".html" and unquote(parts.fragment) not in _parse(target, cache).ids:
                broken.append((page.relative_to(outdir), link, "no such anchor"))
    return broken


def _check(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    broken = broken_links(app.outdir)
    if broken:
        lines = "\n".join(f"  {page}: {link} ({why})" for page, link, why in broken[:50])
        more = f"\n  ... and {len(broken) - 50} more" if len(broken) > 50 else ""
        raise ExtensionError(f"{len(broken)} broken link(s) in the built site:\n{lines}{more}")


def setup(app):
    app.connect("build-finished", _check)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
