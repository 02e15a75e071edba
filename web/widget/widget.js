// The advisor's chat widget: a conversation log, quick-reply buttons and a text box.
//
// Accessibility (WCAG 2.1 AA): messages sit in a role="log" region that screen
// readers announce politely, each starting with who wrote it; quick replies are
// <button>s in reading order, disabled once used; focus goes back to the text box;
// as a pop-up, a button opens it, Escape and the close button close it and give
// focus back to that button. Text is only ever set with textContent (dom.js).

import { el, renderMarkdown } from "./dom.js";
import { Session, safeStorage } from "./session.js";
// socket.io's module build: no global `io`, so a host page's own socket.io is untouched
import { io } from "./vendor/socket.io.esm.min.js";

const STATUS_TEXT = {
  connecting: "Connecting to the advisor…",
  offline: "The advisor cannot be reached right now. Trying again…",
  online: "",
};
let counter = 0;

function hidden(doc, text) {
  return el(doc, "span", "aw-vh", text);
}

export class Widget {
  /**
   * @param {object} options rasaUrl, title, subtitle, initialPayload, lang,
   *   container (an element: inline mode) or none (pop-up mode), storage
   *   (window.localStorage), io (socket.io's `io`; a stand-in for tests)
   */
  constructor(options) {
    this.options = options;
    this.doc = options.document || document;
    this.id = `aw-${(counter += 1)}`;
    this.popup = !options.container;
    this.build();
    const socket = (options.io || io)(options.rasaUrl, {
      path: "/socket.io/",
      autoConnect: false,
      reconnectionDelayMax: 10000,
    });
    this.session = new Session({
      socket,
      storage: safeStorage(options.storage),
      key: `caip-caim-advisor:${options.rasaUrl}`,
      customData: { language: options.lang },
      onReady: (start) => this.ready(start),
      onBot: (message, index) => this.showBot(message, index),
      onStatus: (state) => this.showStatus(state),
    });
    this.session.messages.forEach((message, index) =>
      message.from === "bot" ? this.showBot(message, index) : this.showUser(message.text)
    );
    // A pop-up connects when first opened: a page view alone starts no conversation.
    this.socket = socket;
    if (!this.popup) socket.connect();
  }

  build() {
    const doc = this.doc;
    const { title, subtitle, lang } = this.options;
    this.root = el(doc, "div", `aw ${this.popup ? "aw-popup" : "aw-inline"}`);
    this.root.lang = lang;
    this.root.dataset.rasaUrl = this.options.rasaUrl;
    const panel = el(doc, this.popup ? "div" : "section", "aw-panel");
    panel.id = `${this.id}-panel`;
    panel.setAttribute("aria-labelledby", `${this.id}-title`);
    const header = el(doc, "div", "aw-header");
    const heading = el(doc, "h2", "aw-title", title);
    heading.id = `${this.id}-title`;
    header.append(heading);
    if (subtitle) header.append(el(doc, "p", "aw-subtitle", subtitle));
    panel.append(header);

    this.log = el(doc, "div", "aw-log");
    this.log.setAttribute("role", "log");
    this.log.setAttribute("aria-live", "polite");
    this.log.setAttribute("aria-relevant", "additions");
    this.log.setAttribute("aria-label", "Conversation with the advisor");
    this.log.tabIndex = 0; // scrollable by keyboard
    this.statusLine = el(doc, "p", "aw-status");
    this.statusLine.setAttribute("role", "status");
    this.typing = el(doc, "p", "aw-typing", "The advisor is writing");
    this.typing.setAttribute("aria-hidden", "true");
    this.typing.hidden = true;
    panel.append(this.log, this.typing, this.statusLine, this.buildForm());

    if (this.popup) {
      panel.setAttribute("role", "dialog");
      panel.hidden = true;
      const close = el(doc, "button", "aw-close");
      close.type = "button";
      close.setAttribute("aria-label", `Close ${title}`);
      close.append(el(doc, "span", "", "×"));
      close.firstChild.setAttribute("aria-hidden", "true");
      close.addEventListener("click", () => this.close());
      header.append(close);
      this.launcher = el(doc, "button", "aw-launcher", this.options.launcherText);
      this.launcher.type = "button";
      this.launcher.setAttribute("aria-expanded", "false");
      this.launcher.setAttribute("aria-controls", panel.id);
      this.launcher.addEventListener("click", () =>
        panel.hidden ? this.openPanel() : this.close()
      );
      panel.addEventListener("keydown", (event) => {
        if (event.key === "Escape") {
          event.preventDefault();
          this.close();
        }
      });
      this.root.append(panel, this.launcher);
      doc.body.append(this.root);
    } else {
      this.root.append(panel);
      this.options.container.append(this.root);
    }
    this.panel = panel;
  }

  buildForm() {
    const doc = this.doc;
    const form = el(doc, "form", "aw-form");
    const label = el(doc, "label", "aw-vh", "Message to the advisor");
    label.htmlFor = `${this.id}-input`;
    this.input = el(doc, "input", "aw-input");
    Object.assign(this.input, {
      id: `${this.id}-input`,
      type: "text",
      autocomplete: "off",
      maxLength: 1000,
      placeholder: this.options.placeholder,
    });
    const send = el(doc, "button", "aw-send", "Send");
    send.type = "submit";
    form.append(label, this.input, send);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const text = this.input.value.trim();
      if (!text) return;
      this.input.value = "";
      this.sendUser(text, text);
    });
    return form;
  }

  openPanel() {
    if (!this.socket.connected && !this.socket.active) this.socket.connect();
    this.panel.hidden = false;
    this.launcher.setAttribute("aria-expanded", "true");
    this.scrollToEnd();
    this.input.focus();
  }

  close() {
    if (!this.popup) return;
    this.panel.hidden = true;
    this.launcher.setAttribute("aria-expanded", "false");
    this.launcher.focus();
  }

  ready(start) {
    if (!start) return;
    this.log.replaceChildren();
    if (this.options.initialPayload) this.session.send(this.options.initialPayload, null);
    this.setTyping(true);
  }

  showStatus(state) {
    this.statusLine.textContent = STATUS_TEXT[state] || "";
    this.root.dataset.state = state;
  }

  setTyping(on) {
    this.typing.hidden = !on;
    clearTimeout(this.typingTimer);
    if (on) this.typingTimer = setTimeout(() => this.setTyping(false), 20000);
  }

  sendUser(message, shown) {
    const index = this.session.messages.length - 1;
    this.session.markUsed(index);
    this.disableReplies(this.log.querySelectorAll(".aw-replies"));
    this.session.send(message, shown);
    this.showUser(shown);
    this.setTyping(true);
  }

  message(from, who) {
    const item = el(this.doc, "div", `aw-msg aw-${from}`);
    item.append(hidden(this.doc, `${who}: `));
    const body = el(this.doc, "div", "aw-body");
    item.append(body);
    return [item, body];
  }

  showUser(text) {
    const [item, body] = this.message("user", "You said");
    body.append(el(this.doc, "p", "", text));
    this.log.append(item);
    this.scrollToEnd();
  }

  showBot(message, index) {
    const [item, body] = this.message("bot", "Advisor said");
    if (message.text) body.append(renderMarkdown(this.doc, message.text));
    this.log.append(item);
    if (message.replies.length) this.log.append(this.replies(message, index));
    this.setTyping(false);
    this.scrollToEnd();
  }

  replies(message, index) {
    const group = el(this.doc, "div", "aw-replies");
    group.setAttribute("role", "group");
    group.setAttribute("aria-label", "Suggested replies");
    for (const reply of message.replies) {
      const button = el(this.doc, "button", "aw-reply", reply.title);
      button.type = "button";
      button.addEventListener("click", () => {
        if (button.disabled) return;
        button.classList.add("aw-chosen");
        this.sendUser(reply.payload, reply.title);
        this.input.focus();
      });
      group.append(button);
    }
    if (message.used) this.disableReplies([group]);
    group.dataset.index = String(index);
    return group;
  }

  disableReplies(groups) {
    for (const group of groups) {
      if (group.classList.contains("aw-used")) continue;
      group.classList.add("aw-used");
      group.setAttribute("aria-label", "Suggested replies (no longer available)");
      for (const button of group.querySelectorAll("button")) button.disabled = true;
    }
  }

  scrollToEnd() {
    this.log.scrollTop = this.log.scrollHeight;
  }
}
