"""One message structure, rendered for each channel.

Actions build a `Reply` (paragraphs, bullet lists, a table, buttons); `render`
turns it into Markdown for the web widget, mrkdwn for Slack, or plain text for
the REST channel and `rasa shell`. Text inside a reply comes from the knowledge
files and recognised vocabulary (actions/vocabulary.py), never raw user input; it
is still escaped for the channel so that nothing can turn into markup:

- widget (Markdown): HTML (`<`, `>`, `&`) and the characters of Markdown's links,
  images, emphasis, code, strike-through and tables (brackets, stars, underscores,
  backticks, tildes, pipes, backslashes) are escaped; only the reply's own
  `**emphasis**` stays markup;
- Slack: `**emphasis**` becomes `*emphasis*`; the Slack output
  (channels/slack_output.py) escapes `&`, `<` and `>`, which also disarms Slack's
  link and mention syntax (`<url|text>`, `<!channel>`), for every text it posts;
- plain text: the emphasis marks are removed.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

MARKDOWN_CHANNELS = {"socketio"}
SLACK_CHANNELS = {"slack"}


@dataclass(frozen=True)
class Bullets:
    """A titled bullet list."""

    title: str
    items: list[str]


@dataclass(frozen=True)
class Table:
    """A comparison table: a header row and body rows of equal width."""

    headers: list[str]
    rows: list[list[str]]


Block = str | Bullets | Table


@dataclass
class Reply:
    """What the bot says in one message, independent of the channel.

    Strings may mark emphasis with **double stars**; each renderer maps it.
    """

    blocks: list[Block] = field(default_factory=list)
    buttons: list[dict[str, str]] = field(default_factory=list)

    def add(self, *blocks: Block) -> Reply:
        """Append blocks, skipping empty ones, and return self."""
        self.blocks.extend(block for block in blocks if block)
        return self


_BOLD = re.compile(r"\*\*(.+?)\*\*")
_MARKDOWN = re.compile(r"([\\`*_\[\]~|])")


def escape_markdown(text: str) -> str:
    """`text` as literal Markdown: HTML and Markdown's own characters escaped."""
    return html.escape(_MARKDOWN.sub(r"\\\1", text), quote=False)


def _markdown(text: str) -> str:
    """Escape everything but the reply's own `**emphasis**`."""
    parts, start = [], 0
    for bold in _BOLD.finditer(text):
        parts.append(escape_markdown(text[start : bold.start()]))
        parts.append(f"**{escape_markdown(bold.group(1))}**")
        start = bold.end()
    parts.append(escape_markdown(text[start:]))
    return "".join(parts)


def _inline(text: str, style: str) -> str:
    if style == "markdown":
        return _markdown(text)
    if style == "slack":
        return _BOLD.sub(r"*\1*", text)
    return _BOLD.sub(r"\1", text)


def _table(table: Table, style: str) -> str:
    if style == "markdown":

        def line(cells: list[str]) -> str:
            return "| " + " | ".join(_markdown(cell) for cell in cells) + " |"

        rule = "|" + "|".join("---" for _ in table.headers) + "|"
        return "\n".join([line(table.headers), rule, *map(line, table.rows)])
    lines = []
    for row in table.rows:
        label, *cells = row
        lines.append(f"**{label}**" if style == "slack" else f"{label}:")
        for header, cell in zip(table.headers[1:], cells, strict=False):
            lines.append(
                f"  • {header}: {cell}" if style == "slack" else f"  - {header}: {cell}"
            )
    return _inline("\n".join(lines), style)


def _block(block: Block, style: str) -> str:
    if isinstance(block, Table):
        return _table(block, style)
    if isinstance(block, Bullets):
        mark = "•" if style == "slack" else "-"
        lines = [block.title] + [f"{mark} {item}" for item in block.items]
        return _inline("\n".join(lines), style)
    return _inline(block, style)


def style_for(channel: str | None) -> str:
    """Pick the text style for an input channel name."""
    if channel in MARKDOWN_CHANNELS:
        return "markdown"
    if channel in SLACK_CHANNELS:
        return "slack"
    return "plain"


def render(reply: Reply, channel: str | None = None) -> str:
    """Render a reply's text for the given input channel."""
    style = style_for(channel)
    return "\n\n".join(_block(block, style) for block in reply.blocks)
