// The conversation with Rasa's socket.io channel, and its copy in the browser.
//
// Contract (channels/guarded_socketio.py): on each connect the client emits
// `session_request {"session_id": <stored id or null>}`; the server answers
// `session_confirm` with the id to use (a string, or {"session_id": ...}); the client
// stores and uses only that id. Messages go out as
// `user_uttered {"message", "session_id", "customData"}`; replies come in as
// `bot_uttered` ({text, quick_replies | buttons}). Rasa does not replay a
// conversation, so the transcript is kept in localStorage with the id it belongs
// to: a reload shows it again, and a new id from the server starts afresh.
// No DOM here: node --test checks it with a fake socket.

const MAX_KEPT = 200; // messages kept in the browser

/** localStorage, or a memory stand-in when the browser refuses it. */
export function safeStorage(storage) {
  const memory = new Map();
  return {
    get(key) {
      try {
        return storage.getItem(key);
      } catch {
        return memory.get(key) ?? null;
      }
    },
    set(key, value) {
      try {
        storage.setItem(key, value);
      } catch {
        memory.set(key, value);
      }
    },
  };
}

/** The id in a session_confirm payload, or null when there is none. */
export function confirmedId(payload) {
  const id = typeof payload === "string" ? payload : payload && payload.session_id;
  return typeof id === "string" && id.trim() ? id : null;
}

/** Quick replies of a bot_uttered payload as [{title, payload}]. */
export function repliesOf(data) {
  const raw = (data && (data.quick_replies || data.buttons)) || [];
  return raw
    .filter((b) => b && typeof b.title === "string")
    .map((b) => ({ title: b.title, payload: typeof b.payload === "string" ? b.payload : b.title }));
}

export class Session {
  /**
   * @param {object} options socket (a socket.io client socket, not yet connected
   *   or connected), storage (get/set), key, customData, and callbacks
   *   onReady(fresh), onBot(message), onStatus(state)
   */
  constructor({ socket, storage, key, customData, onReady, onBot, onStatus }) {
    Object.assign(this, { socket, storage, key, customData });
    this.callbacks = { onReady, onBot, onStatus };
    this.id = null;
    this.pending = [];
    const saved = this.load();
    this.stored = saved.id;
    this.messages = saved.messages;
    socket.on("connect", () => {
      this.id = null;
      this.status("connecting");
      socket.emit("session_request", { session_id: this.stored });
    });
    socket.on("session_confirm", (payload) => this.confirm(payload));
    socket.on("bot_uttered", (data) => this.received(data));
    socket.on("disconnect", () => {
      this.id = null;
      this.status("offline");
    });
    socket.on("connect_error", () => this.status("offline"));
  }

  status(state) {
    if (this.callbacks.onStatus) this.callbacks.onStatus(state);
  }

  load() {
    try {
      const saved = JSON.parse(this.storage.get(this.key) || "null");
      if (saved && typeof saved.id === "string" && Array.isArray(saved.messages)) {
        return saved;
      }
    } catch {
      // a damaged copy is dropped
    }
    return { id: null, messages: [] };
  }

  save() {
    this.messages = this.messages.slice(-MAX_KEPT);
    this.storage.set(this.key, JSON.stringify({ id: this.stored, messages: this.messages }));
  }

  confirm(payload) {
    const id = confirmedId(payload);
    if (!id) return;
    const fresh = id !== this.stored;
    if (fresh) {
      this.stored = id;
      this.messages = [];
      this.save();
    }
    this.id = id;
    this.status("online");
    if (this.callbacks.onReady) this.callbacks.onReady(fresh || this.messages.length === 0);
    for (const message of this.pending.splice(0)) this.emit(message);
  }

  received(data) {
    if (!data || typeof data !== "object") return;
    const text = typeof data.text === "string" ? data.text : "";
    const replies = repliesOf(data);
    if (!text && !replies.length) return; // images and custom payloads are not shown
    const message = { from: "bot", text, replies, used: false };
    this.messages.push(message);
    this.save();
    if (this.callbacks.onBot) this.callbacks.onBot(message, this.messages.length - 1);
  }

  /** Send `message` (text or a button's payload); `shown` is what the log shows
   * (null: nothing, as for the initial payload). Returns the log entry or null. */
  send(message, shown) {
    let entry = null;
    if (shown !== null) {
      entry = { from: "user", text: shown ?? message };
      this.messages.push(entry);
      this.save();
    }
    if (this.id) this.emit(message);
    else this.pending.push(message);
    return entry;
  }

  emit(message) {
    this.socket.emit("user_uttered", {
      message,
      session_id: this.id,
      customData: this.customData,
    });
  }

  /** Mark the quick replies of message `index` (and every earlier one) as used. */
  markUsed(index) {
    this.messages.forEach((m, i) => {
      if (i <= index && m.replies && m.replies.length) m.used = true;
    });
    this.save();
  }
}
