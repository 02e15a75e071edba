// Mounts the rasa-webchat widget (served from this site at /webchat/webchat.js) and
// points it at the Rasa server's socketio channel.
//
// The Rasa URL comes from <meta name="rasa-url"> (scripts/serve_web.py fills it in).
// `?rasa=http://127.0.0.1:PORT` overrides it, for local servers on other ports only:
// a link cannot send a visitor's chat to some other host.
(function () {
  "use strict";

  var LOOPBACK_HOSTS = ["localhost", "127.0.0.1", "[::1]"];

  function status(text) {
    var node = document.getElementById("chat-status");
    node.textContent = text;
    node.hidden = false;
  }

  function configuredUrl() {
    var meta = document.querySelector('meta[name="rasa-url"]');
    return (meta && meta.content) || "http://localhost:5005";
  }

  function rasaUrl() {
    var fallback = configuredUrl();
    var asked = new URLSearchParams(window.location.search).get("rasa");
    if (!asked) {
      return fallback;
    }
    var url;
    try {
      url = new URL(asked);
    } catch (error) {
      console.warn("Ignoring ?rasa=: not a URL", asked);
      return fallback;
    }
    var httpish = url.protocol === "http:" || url.protocol === "https:";
    var allowed = LOOPBACK_HOSTS.indexOf(url.hostname) !== -1 ||
      url.origin === new URL(fallback).origin;
    if (!httpish || !allowed) {
      console.warn("Ignoring ?rasa=: only http(s) URLs on this machine are allowed", asked);
      return fallback;
    }
    return url.origin;
  }

  if (!window.WebChat || typeof window.WebChat.default !== "function") {
    status("The chat widget could not be loaded. Run `npm ci --prefix web` and restart the page server.");
    return;
  }

  var socketUrl = rasaUrl();
  document.getElementById("advisor-chat").setAttribute("data-rasa-url", socketUrl);

  window.WebChat.default(
    {
      socketUrl: socketUrl,
      socketPath: "/socket.io/",
      initPayload: "/greet",
      customData: { language: "en" },
      params: { storage: "local" },
      title: "CAIP or CAIM advisor",
      subtitle: "Describe your job, get a recommendation",
      inputTextFieldHint: "Describe your job or ask a question...",
      connectingText: "Connecting to the advisor...",
      embedded: true,
      showCloseButton: false,
      showFullScreenButton: false,
      hideWhenNotConnected: false,
      docViewer: false,
      withRules: false,
      customMessageDelay: function (message) {
        var delay = (message || "").length * 10;
        return Math.max(400, Math.min(delay, 1500));
      }
    },
    document.getElementById("advisor-chat")
  );
})();
