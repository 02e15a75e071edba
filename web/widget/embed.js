// The one tag that puts the advisor's chat on a page:
//
//   <script src="http://HOST:8080/widget/embed.js" data-rasa-url="http://HOST:5005"
//     data-title="CAIP or CAIM advisor" data-initial-payload="/greet" data-lang="en"
//     defer></script>
//
// Options (data-* attributes of this tag): rasa-url (the Rasa server; default: this
// script's host on port 5005), title, subtitle, initial-payload (sent once, when a
// conversation starts), lang, container (the id of an element to fill: without it
// the chat is a pop-up opened by a button), launcher (that button's text),
// placeholder. Everything else (styles, socket.io client, widget code) is fetched
// from the same server as this script, never from elsewhere.
(function () {
  "use strict";

  var script = document.currentScript;
  if (!script) return;
  var base = new URL(".", script.src);
  var data = script.dataset;
  var LOOPBACK = ["localhost", "127.0.0.1", "[::1]"];

  function rasaUrl() {
    var configured = data.rasaUrl || base.protocol + "//" + base.hostname + ":5005";
    configured = new URL(configured).origin;
    // On a page served from this machine, ?rasa=http://127.0.0.1:PORT points the chat
    // at another local Rasa server (tests, development); a link can never send a
    // visitor's chat to another host.
    var asked = new URLSearchParams(window.location.search).get("rasa");
    if (!asked || LOOPBACK.indexOf(window.location.hostname) === -1) return configured;
    try {
      var url = new URL(asked);
      var local = LOOPBACK.indexOf(url.hostname) !== -1 && /^https?:$/.test(url.protocol);
      return local ? url.origin : configured;
    } catch (error) {
      return configured;
    }
  }

  function load(tag, attributes) {
    return new Promise(function (resolve, reject) {
      var node = document.createElement(tag);
      Object.keys(attributes).forEach(function (name) {
        node.setAttribute(name, attributes[name]);
      });
      node.onload = resolve;
      node.onerror = function () {
        reject(new Error("could not load " + (attributes.src || attributes.href)));
      };
      document.head.appendChild(node);
    });
  }

  function fail(error) {
    console.error("Advisor chat:", error);
    var note = document.createElement("p");
    note.className = "aw-failed";
    note.setAttribute("role", "alert");
    note.textContent = "The advisor chat could not be loaded. Please try again later.";
    var target = data.container && document.getElementById(data.container);
    (target || document.body).appendChild(note);
  }

  function storage() {
    try {
      return window.localStorage; // a browser that refuses it: memory only
    } catch (error) {
      return null;
    }
  }

  var lang = data.lang || document.documentElement.lang || "en";
  load("link", { rel: "stylesheet", href: new URL("widget.css", base).href })
    .then(function () {
      return import(new URL("widget.js", base).href);
    })
    .then(function (module) {
      window.advisorWidget = new module.Widget({
        rasaUrl: rasaUrl(),
        title: data.title || "CAIP or CAIM advisor",
        subtitle: data.subtitle || "",
        initialPayload: data.initialPayload === undefined ? "/greet" : data.initialPayload,
        lang: lang,
        container: data.container ? document.getElementById(data.container) : null,
        launcherText: data.launcher || "Chat with the advisor",
        placeholder: data.placeholder || "Describe your job or ask a question",
        storage: storage(),
      });
    })
    .catch(fail);
})();
