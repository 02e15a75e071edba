// The small part of Markdown the advisor writes, parsed into plain objects.
//
// Supported: paragraphs (a line break stays a line break), "- " / "* " / "• "
// bullet lists, "1. " numbered lists, pipe tables with a "|---|" rule, **bold**,
// *emphasis*, backslash escapes and the five HTML entities the server's escaping
// produces. Links become links only to https://pecb.com/ (the certifications'
// publisher); any other link, every image and every HTML tag stay literal text.
// Nothing here builds HTML: dom.js turns the objects into DOM nodes with
// textContent. No DOM is needed, so node --test checks it (tests/test_widget_client.py).

const LINK_HOSTS = new Set(["pecb.com", "www.pecb.com"]);
const ENTITIES = { amp: "&", lt: "<", gt: ">", quot: '"', "#39": "'", "#x27": "'" };
const ESCAPABLE = /[\\`*_{}[\]()#+\-.!|<>~]/;
const TABLE_RULE = /^\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?$/;
const BULLET = /^\s*[-*•]\s+(.*)$/;
const NUMBERED = /^\s*\d{1,3}[.)]\s+(.*)$/;

/** The decoded text of the server's HTML escaping (&amp; &lt; &gt; &quot; &#39;). */
export function decodeEntities(text) {
  return text.replace(/&(amp|lt|gt|quot|#39|#x27);/g, (_, name) => ENTITIES[name]);
}

/** True for an https link to the publisher's site, the only links shown as links. */
export function allowedLink(href) {
  let url;
  try {
    url = new URL(href);
  } catch {
    return false;
  }
  return (
    url.protocol === "https:" &&
    LINK_HOSTS.has(url.hostname) &&
    url.port === "" &&
    url.username === "" &&
    url.password === ""
  );
}

// Inline text -> [{type: "text"|"strong"|"em"|"link", text?, href?, children?}]
export function parseInline(source) {
  const out = [];
  let text = "";
  const flush = () => {
    if (text) out.push({ type: "text", text });
    text = "";
  };
  let i = 0;
  while (i < source.length) {
    const ch = source[i];
    if (ch === "\\" && i + 1 < source.length && ESCAPABLE.test(source[i + 1])) {
      text += source[i + 1];
      i += 2;
      continue;
    }
    if (source.startsWith("**", i)) {
      const end = findClosing(source, "**", i + 2);
      if (end > i + 2) {
        flush();
        out.push({ type: "strong", children: parseInline(source.slice(i + 2, end)) });
        i = end + 2;
        continue;
      }
    }
    if (ch === "*" && source[i + 1] !== " " && source[i + 1] !== "*") {
      const end = findClosing(source, "*", i + 1);
      if (end > i + 1 && source[end - 1] !== " ") {
        flush();
        out.push({ type: "em", children: parseInline(source.slice(i + 1, end)) });
        i = end + 1;
        continue;
      }
    }
    if (ch === "[" && source[i - 1] !== "!") {
      const link = matchLink(source, i);
      if (link && allowedLink(link.href)) {
        flush();
        out.push({ type: "link", href: link.href, children: parseInline(link.label) });
        i = link.end;
        continue;
      }
    }
    text += ch;
    i += 1;
  }
  flush();
  return out;
}

function findClosing(source, marker, from) {
  for (let j = from; j < source.length; j += 1) {
    if (source[j] === "\\") {
      j += 1;
    } else if (source.startsWith(marker, j)) {
      return j;
    }
  }
  return -1;
}

function matchLink(source, start) {
  const close = source.indexOf("](", start);
  if (close < 0) return null;
  const end = source.indexOf(")", close + 2);
  if (end < 0) return null;
  const label = source.slice(start + 1, close);
  const href = source.slice(close + 2, end).trim();
  if (!label || /[\s<>"]/.test(href) || label.includes("[")) return null;
  return { label, href, end: end + 1 };
}

function splitRow(line) {
  let row = line.trim();
  if (row.startsWith("|")) row = row.slice(1);
  if (row.endsWith("|") && !row.endsWith("\\|")) row = row.slice(0, -1);
  const cells = [];
  let cell = "";
  for (let i = 0; i < row.length; i += 1) {
    if (row[i] === "\\" && row[i + 1] === "|") {
      cell += "\\|";
      i += 1;
    } else if (row[i] === "|") {
      cells.push(cell.trim());
      cell = "";
    } else {
      cell += row[i];
    }
  }
  cells.push(cell.trim());
  return cells.map(parseInline);
}

function isTableStart(lines, i) {
  return (
    lines[i].trim().startsWith("|") &&
    i + 1 < lines.length &&
    TABLE_RULE.test(lines[i + 1].trim())
  );
}

/**
 * Parse the bot's Markdown into blocks:
 * {type: "paragraph", lines: [inline...]}, {type: "list", ordered, items: [inline]},
 * {type: "table", headers: [inline], rows: [[inline]]}.
 */
export function parse(markdown) {
  const lines = decodeEntities(String(markdown ?? "")).replace(/\r\n?/g, "\n").split("\n");
  const blocks = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    if (!line.trim()) {
      i += 1;
    } else if (isTableStart(lines, i)) {
      const headers = splitRow(line);
      const rows = [];
      i += 2;
      while (i < lines.length && lines[i].trim().startsWith("|")) {
        rows.push(splitRow(lines[i]));
        i += 1;
      }
      blocks.push({ type: "table", headers, rows });
    } else if (BULLET.test(line) || NUMBERED.test(line)) {
      const ordered = !BULLET.test(line);
      const pattern = ordered ? NUMBERED : BULLET;
      const items = [];
      while (i < lines.length && pattern.test(lines[i])) {
        items.push(parseInline(pattern.exec(lines[i])[1]));
        i += 1;
      }
      blocks.push({ type: "list", ordered, items });
    } else {
      const paragraph = [];
      while (
        i < lines.length &&
        lines[i].trim() &&
        !isTableStart(lines, i) &&
        !BULLET.test(lines[i]) &&
        !NUMBERED.test(lines[i])
      ) {
        paragraph.push(parseInline(lines[i].trim()));
        i += 1;
      }
      blocks.push({ type: "paragraph", lines: paragraph });
    }
  }
  return blocks;
}
