"""The book and the tables as readers open them: the HTML in headless Chromium (a screenshot,
and nothing wider than the window), the DOCX in LibreOffice Writer (converted to PDF, page by
page). Both programs come with `bash scripts/setup.sh --documents` (scripts/test.sh runs it)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest
from PIL import Image

pytestmark = pytest.mark.workflow  # on the session's run of the demo

CUT = "2023-04-30"
MEASURE = """<script>
const width = document.documentElement.clientWidth;
const wide = [...document.querySelectorAll('table, img, figure, h1, h2, h3, p')]
  .filter(e => e.getBoundingClientRect().right > width + 1)
  .map(e => (e.closest('[id]') || e).id || e.tagName);
const out = document.createElement('pre');
out.id = 'overflow';
out.textContent = JSON.stringify({width: width, scroll: document.documentElement.scrollWidth, wide: wide});
document.body.appendChild(out);
</script>"""


def tool(*names: str) -> str:
    for name in names:
        if path := shutil.which(name):
            return path
    pytest.fail(
        f"{names[0]} is not installed: bash scripts/setup.sh --documents (apt-get install chromium libreoffice-writer-nogui)"
    )


@pytest.fixture(scope="module")
def cut(workflow_run):
    results, _ = workflow_run
    return results / "india" / CUT


def chromium(*args: str) -> subprocess.CompletedProcess:
    browser = tool("chromium", "chromium-browser", "google-chrome")
    command = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize(
    ("page", "width"), [("book.html", 1280), ("tables/survival/OM17.html", 1024), ("tables/response/T1.html", 800)]
)
def test_the_html_fits_the_window_in_chromium(cut, tmp_path, page, width):
    """Nothing is wider than the window (the book at 1280 px, a table at 1024 and 800), and the
    screenshot is drawn at that width."""
    copy = tmp_path / "page.html"
    copy.write_text((cut / page).read_text(encoding="utf-8") + MEASURE, encoding="utf-8")
    proc = chromium(f"--window-size={width},1000", "--dump-dom", copy.as_uri())
    found = re.search(r'<pre id="overflow">([^<]*)</pre>', proc.stdout)
    assert found, proc.stderr[-2000:]
    measured = json.loads(found.group(1).replace("&quot;", '"'))
    assert measured["width"] == width and measured["scroll"] <= width and measured["wide"] == [], measured
    shot = tmp_path / "shot.png"
    proc = chromium(f"--window-size={width},2000", f"--screenshot={shot}", (cut / page).as_uri())
    with Image.open(shot) as image:
        assert image.size == (width, 2000)
        assert len(image.convert("L").resize((64, 64)).getcolors(4096)) > 8  # drawn, not blank


def test_the_docx_open_in_libreoffice(cut, tmp_path):
    """The book and two tables converted by LibreOffice Writer: the book runs to many pages, a
    table to one or two (landscape where wide)."""
    office = tool("soffice", "libreoffice")
    documents = [cut / "book.docx", cut / "tables" / "survival" / "OM17.docx", cut / "tables" / "response" / "T1.docx"]
    proc = subprocess.run(
        [office, "--headless", "--norestore", "--convert-to", "pdf", "--outdir", str(tmp_path), *map(str, documents)],
        capture_output=True,
        text=True,
        timeout=300,
        env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"},
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    pages = {}
    for document in documents:
        pdf = (tmp_path / document.name).with_suffix(".pdf").read_bytes()
        pages[document.stem] = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
    assert pages["book"] >= 30 and 1 <= pages["OM17"] <= 3 and pages["T1"] == 1, pages
