// Unit tests of the widget's logic without a browser: the Markdown parser (what may
// become a link, what stays text) and the socket.io session contract, with a fake
// socket. Run by tests/test_widget_client.py (`node --test`).

import assert from "node:assert/strict";
import { test } from "node:test";

import { allowedLink, parse, parseInline } from "../web/widget/markdown.js";
import { Session, confirmedId, repliesOf, safeStorage } from "../web/widget/session.js";

const HOSTILE =
  "[click](javascript:alert(1)) &lt;img src=x onerror=alert(1)&gt; ![x](http://evil.example/x.png)";

function kinds(nodes, out = []) {
  for (const node of nodes) {
    out.push(node.type);
    if (node.children) kinds(node.children, out);
  }
  return out;
}

test("bold, emphasis, escapes and entities become text and formatting", () => {
  assert.deepEqual(parse("**CAIP** fits *you* \\*not bold\\* &amp; &lt;b&gt;")[0].lines[0], [
    { type: "strong", children: [{ type: "text", text: "CAIP" }] },
    { type: "text", text: " fits " },
    { type: "em", children: [{ type: "text", text: "you" }] },
    { type: "text", text: " *not bold* & <b>" },
  ]);
});

test("hostile links, images and tags stay literal text", () => {
  const [paragraph] = parse(HOSTILE);
  const nodes = paragraph.lines[0];
  assert.deepEqual(kinds(nodes), ["text"]);
  assert.equal(
    nodes[0].text,
    "[click](javascript:alert(1)) <img src=x onerror=alert(1)> ![x](http://evil.example/x.png)"
  );
});

test("only https links to pecb.com are links", () => {
  assert.ok(allowedLink("https://pecb.com/en/education-and-certification-for-individuals"));
  assert.ok(allowedLink("https://www.pecb.com/"));
  for (const href of [
    "http://pecb.com/",
    "https://pecb.com.evil.example/",
    "https://evil.example/?https://pecb.com/",
    "https://user@pecb.com/",
    "https://pecb.com:8443/",
    "javascript:alert(1)",
    "//pecb.com/",
  ]) {
    assert.equal(allowedLink(href), false, href);
  }
  assert.deepEqual(kinds(parseInline("see [PECB](https://pecb.com/x)")), ["text", "link", "text"]);
  assert.deepEqual(kinds(parseInline("see [PECB](https://evil.example/x)")), ["text"]);
});

test("the comparison table, lists and line breaks", () => {
  const blocks = parse(
    "CAIP and CAIM:\n- build\n- lead\n\n| | CAIP | CAIM |\n|---|---|---|\n| **Focus** | models | governance \\| risk |"
  );
  assert.deepEqual(
    blocks.map((b) => b.type),
    ["paragraph", "list", "table"]
  );
  assert.equal(blocks[1].items.length, 2);
  const table = blocks[2];
  assert.deepEqual(table.headers.map((h) => h.map((n) => n.text).join("")), ["", "CAIP", "CAIM"]);
  assert.equal(table.rows[0][0][0].type, "strong");
  assert.equal(table.rows[0][2][0].text, "governance | risk");
});

class FakeSocket {
  constructor() {
    this.handlers = {};
    this.sent = [];
  }
  on(event, handler) {
    this.handlers[event] = handler;
  }
  emit(event, data) {
    this.sent.push([event, data]);
  }
  fire(event, data) {
    this.handlers[event](data);
  }
}

function memoryStorage() {
  const map = new Map();
  return { getItem: (k) => map.get(k) ?? null, setItem: (k, v) => map.set(k, String(v)) };
}

function session(storage, events = []) {
  const socket = new FakeSocket();
  const s = new Session({
    socket,
    storage: safeStorage(storage),
    key: "k",
    customData: { language: "en" },
    onReady: (start) => events.push(["ready", start]),
    onBot: (m) => events.push(["bot", m.text]),
  });
  return [s, socket];
}

test("the client uses only the id the server confirmed, and sends it", () => {
  const storage = memoryStorage();
  const [s, socket] = session(storage);
  s.send("hello", "hello"); // typed before the session is confirmed: waits
  socket.fire("connect");
  assert.deepEqual(socket.sent, [["session_request", { session_id: null }]]);
  socket.fire("session_confirm", "web:" + "a".repeat(32));
  assert.deepEqual(socket.sent[1], [
    "user_uttered",
    { message: "hello", session_id: "web:" + "a".repeat(32), customData: { language: "en" } },
  ]);
  assert.equal(JSON.parse(storage.getItem("k")).id, "web:" + "a".repeat(32));
});

test("a reload asks for the stored id and keeps the transcript; a new id starts afresh", () => {
  const storage = memoryStorage();
  let [s, socket] = session(storage);
  socket.fire("connect");
  socket.fire("session_confirm", { session_id: "one" });
  socket.fire("bot_uttered", { text: "Hi", quick_replies: [{ title: "Compare", payload: "/compare" }] });
  s.send("/compare", "Compare");

  const events = [];
  [s, socket] = session(storage, events);
  assert.deepEqual(
    s.messages.map((m) => m.text),
    ["Hi", "Compare"]
  );
  socket.fire("connect");
  assert.deepEqual(socket.sent[0], ["session_request", { session_id: "one" }]);
  socket.fire("session_confirm", "one");
  assert.deepEqual(events, [["ready", false]]); // no second greeting
  socket.fire("connect"); // the server gives another id: the old transcript goes
  socket.fire("session_confirm", "two");
  assert.deepEqual(events[1], ["ready", true]);
  assert.deepEqual(s.messages, []);
});

test("bad payloads are ignored and a refused storage falls back to memory", () => {
  assert.equal(confirmedId(""), null);
  assert.equal(confirmedId({ session_id: 5 }), null);
  assert.deepEqual(repliesOf({ buttons: [{ title: "A", payload: "/a" }, { payload: "/b" }, null] }), [
    { title: "A", payload: "/a" },
  ]);
  const refusing = {
    getItem() {
      throw new Error("denied");
    },
    setItem() {
      throw new Error("denied");
    },
  };
  const [s, socket] = session(refusing);
  socket.fire("connect");
  socket.fire("session_confirm", "x");
  socket.fire("bot_uttered", "not an object");
  socket.fire("bot_uttered", { attachment: { type: "image", payload: { src: "http://evil.example" } } });
  assert.deepEqual(s.messages, []);
  socket.fire("bot_uttered", { text: "ok" });
  assert.equal(s.messages.length, 1);
});
