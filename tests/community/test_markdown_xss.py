"""Post bodies: Markdown renders, nothing executable ever comes out."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from community.markdown import ALLOWED_TAGS, render_markdown

XSS_CORPUS = [
    # Script tags, plain and disguised.
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "<script\x20type='text/javascript'>alert(1);</script>",
    "<<script>alert(1);//<</script>",
    "<script>alert(1)",
    # Event handlers.
    "<img src=x onerror=alert(1)>",
    '<img src="x" onerror="alert(1)">',
    "<body onload=alert(1)>",
    "<div onmouseover='alert(1)'>hover</div>",
    "<a href='#' onclick='alert(1)'>x</a>",
    "<input autofocus onfocus=alert(1)>",
    "<details open ontoggle=alert(1)>",
    "<video><source onerror=alert(1)></video>",
    "<marquee onstart=alert(1)>x</marquee>",
    # javascript:/data:/vbscript: links, raw and in Markdown, obfuscated.
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](javascript&#58;alert(1))",
    "[click](&#106;avascript:alert(1))",
    "[click](&#x6A;&#x61;&#x76;&#x61;&#x73;&#x63;&#x72;&#x69;&#x70;&#x74;&#x3A;alert(1))",
    "[click](java\tscript:alert(1))",
    "[click]( javascript:alert(1))",
    "[click](<javascript:alert(1)>)",
    "[click](javascript://%0aalert(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[click](vbscript:msgbox(1))",
    "[click](VBScript:msgbox(1))",
    "[click][ref]\n\n[ref]: javascript:alert(1)",
    '[click](https://ok.example "title" onclick="alert(1)")',
    '<a href="javascript:alert(1)">x</a>',
    '<a href="jav&#x09;ascript:alert(1)">x</a>',
    "<javascript:alert(1)>",
    "<vbscript:msgbox(1)>",
    "<data:text/html,<script>alert(1)</script>>",
    # Images: no images at all.
    "![x](javascript:alert(1))",
    "![x](https://tracker.example/pixel.png)",
    '![x](https://ok.example/a.png"onerror="alert(1))',
    "![x][img]\n\n[img]: data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=",
    # Dangerous elements.
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '<iframe src="javascript:alert(1)"></iframe>',
    '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    '<object data="javascript:alert(1)"></object>',
    '<embed src="javascript:alert(1)">',
    "<style>body{background:url('javascript:alert(1)')}</style>",
    '<div style="background:url(javascript:alert(1))">x</div>',
    '<base href="javascript:alert(1)//">',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<form action="javascript:alert(1)"><button>go</button></form>',
    '<link rel="stylesheet" href="javascript:alert(1)">',
    "<template><script>alert(1)</script></template>",
    # Comments, unclosed tags, attribute breakouts.
    "<!-- <script>alert(1)</script> -->",
    "<!--><script>alert(1)</script>-->",
    '<img src="x` `<script>alert(1)</script>"` `>',
    '"><script>alert(1)</script>',
    "'><img src=x onerror=alert(1)>",
    '<a href="https://ok.example" title="x" onmouseover="alert(1)">x</a>',
    '[x](https://ok.example/"onmouseover="alert(1))',
    "<a href=\"https://ok.example/'onmouseover='alert(1)\">x</a>",
    "<div <script>alert(1)</script>",
    "<img src=x onerror=alert(1)//",
    # Markdown constructs wrapping HTML.
    "```html\n<script>alert(1)</script>\n```",
    "`<script>alert(1)</script>`",
    "> <script>alert(1)</script>",
    "* <img src=x onerror=alert(1)>",
    "# <svg onload=alert(1)>",
    '<https://ok.example/"onmouseover="alert(1)>',
    "<mailto:someone@example.org?body=<script>alert(1)</script>>",
]

SAFE_HREF = re.compile(r"^(https?:|mailto:|/|#|\?|[^:]*$)", re.IGNORECASE)


class _TagCollector(HTMLParser):
    """Collects the real elements and attributes (escaped text like ``&lt;script`` is not a tag)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.comments: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, attrs))

    def handle_startendtag(self, tag, attrs):
        self.elements.append((tag, attrs))

    def handle_comment(self, data):
        self.comments.append(data)


def assert_not_executable(html: str) -> None:
    assert "<script" not in html.lower()
    assert not re.search(r"<[a-z][^>]*\son[a-z]+\s*=", html, re.IGNORECASE), html
    collector = _TagCollector()
    collector.feed(html)
    collector.close()
    assert collector.comments == []
    for tag, attrs in collector.elements:
        assert tag in ALLOWED_TAGS, f"unexpected <{tag}> in {html!r}"
        for name, value in attrs:
            assert not name.startswith("on"), f"event handler {name} in {html!r}"
            assert name in {"href", "title", "rel", "start"}, f"unexpected attribute {name} in {html!r}"
            if name == "href":
                compact = re.sub(r"[\x00-\x20]", "", value or "")
                assert SAFE_HREF.match(compact), f"unsafe href {value!r}"
                assert not compact.lower().startswith(("javascript:", "vbscript:", "data:"))


def test_corpus_has_at_least_50_payloads():
    assert len(XSS_CORPUS) >= 50


@pytest.mark.parametrize("payload", XSS_CORPUS)
def test_payload_renders_without_executable_content(payload):
    assert_not_executable(render_markdown(payload))


@pytest.mark.parametrize("payload", XSS_CORPUS)
def test_payload_inside_markdown_context_is_still_safe(payload):
    assert_not_executable(render_markdown(f"Some **context** first.\n\n{payload}\n\n- a list\n- {payload}"))


def test_ordinary_markdown_renders():
    html = render_markdown(
        "**Bold**, *soft*, `code`\n\n> quoted\n\n1. one\n2. two\n\n[a link](https://example.org)"
    )
    assert "<strong>Bold</strong>" in html
    assert "<em>soft</em>" in html
    assert "<code>code</code>" in html
    assert "<blockquote>" in html
    assert "<ol>" in html
    assert '<a href="https://example.org" rel="nofollow ugc noopener">a link</a>' in html


def test_every_link_gets_rel_nofollow_ugc_noopener():
    html = render_markdown("[a](https://a.example) <https://b.example> [c](mailto:c@example.org)")
    assert html.count('rel="nofollow ugc noopener"') == 3


def test_raw_html_is_shown_as_text_not_markup():
    html = render_markdown("<b>not bold</b>")
    assert "<b>" not in html
    assert "&lt;b&gt;not bold&lt;/b&gt;" in html


def test_images_are_not_rendered():
    html = render_markdown("![a cat](https://example.org/cat.png)")
    assert "<img" not in html
    assert "a cat" in html


def test_disallowed_scheme_links_lose_their_href():
    html = render_markdown("[y](ftp://example.org/file)")
    assert 'href="ftp:' not in html
    assert '<a rel="nofollow ugc noopener">y</a>' in html
