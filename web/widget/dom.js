// Turns markdown.js blocks into DOM nodes: createElement and textContent only, never
// innerHTML, so no text from the bot or the user can become markup.

import { allowedLink, parse } from "./markdown.js";

/** An element with optional class and text. */
export function el(doc, tag, className, text) {
  const node = doc.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function appendInline(doc, parent, nodes) {
  for (const node of nodes) {
    if (node.type === "text") {
      parent.append(doc.createTextNode(node.text));
    } else if (node.type === "strong" || node.type === "em") {
      const child = doc.createElement(node.type);
      appendInline(doc, child, node.children);
      parent.append(child);
    } else if (node.type === "link" && allowedLink(node.href)) {
      const link = doc.createElement("a");
      link.href = node.href;
      link.rel = "noopener noreferrer";
      link.target = "_blank";
      appendInline(doc, link, node.children);
      link.append(el(doc, "span", "aw-vh", " (opens in a new tab)"));
      parent.append(link);
    }
  }
}

function plain(nodes) {
  return nodes
    .map((node) => (node.type === "text" ? node.text : plain(node.children || [])))
    .join("");
}

function table(doc, block) {
  // A keyboard user scrolls a wide table: the wrapper is a named, focusable region.
  const region = el(doc, "div", "aw-table");
  region.tabIndex = 0;
  region.setAttribute("role", "region");
  const names = block.headers.map(plain).filter(Boolean);
  region.setAttribute(
    "aria-label",
    names.length ? `Table: ${names.join(" and ")} (scrollable)` : "Table (scrollable)"
  );
  const grid = el(doc, "table");
  const head = grid.createTHead().insertRow();
  for (const header of block.headers) {
    if (!header.length) {
      head.append(el(doc, "td")); // the empty corner cell
      continue;
    }
    const cell = el(doc, "th");
    cell.scope = "col";
    appendInline(doc, cell, header);
    head.append(cell);
  }
  const body = grid.createTBody();
  for (const cells of block.rows) {
    const row = body.insertRow();
    cells.forEach((content, index) => {
      const cell = el(doc, index === 0 ? "th" : "td");
      if (index === 0) cell.scope = "row";
      appendInline(doc, cell, content);
      row.append(cell);
    });
  }
  region.append(grid);
  return region;
}

/** A fragment with the bot's Markdown `text` rendered safely. */
export function renderMarkdown(doc, text) {
  const fragment = doc.createDocumentFragment();
  for (const block of parse(text)) {
    if (block.type === "table") {
      fragment.append(table(doc, block));
    } else if (block.type === "list") {
      const list = el(doc, block.ordered ? "ol" : "ul");
      for (const item of block.items) {
        const entry = el(doc, "li");
        appendInline(doc, entry, item);
        list.append(entry);
      }
      fragment.append(list);
    } else {
      const paragraph = el(doc, "p");
      block.lines.forEach((line, index) => {
        if (index) paragraph.append(el(doc, "br"));
        appendInline(doc, paragraph, line);
      });
      fragment.append(paragraph);
    }
  }
  return fragment;
}
