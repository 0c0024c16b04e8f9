/*
 * Kindred guide tools: keyboard shortcuts and the live queue.
 *
 * Progressive enhancement: every action is a plain POST form and works without this file.
 *
 * Queue page (<div id="queue" data-queue-ws="/ws/guide/queue/" data-queue-fragment-url="...">):
 *   the WebSocket is a doorbell. On "moderation.item_changed" (and on every (re)connect:
 *   "moderation.ready") the list is refetched from the fragment URL, rendered by the same
 *   template as the page. Reconnects back off exponentially with jitter; close codes 4401/4403
 *   stop retrying. <body data-queue-state="open|closed"> is set for styling and tests.
 *
 * Keys (ignored while typing in a field): j / k move the selection, Enter opens the item,
 *   c claims the selected item (queue) or this item (item page), a approves, h opens the hide
 *   form, e opens the escalate form.
 */
(function () {
  "use strict";

  var body = document.body;
  var queue = document.getElementById("queue");
  var selected = 0;

  function items() {
    return Array.prototype.slice.call(document.querySelectorAll("[data-item-id]"));
  }

  function select(index) {
    var list = items();
    if (!list.length) { return; }
    selected = Math.max(0, Math.min(index, list.length - 1));
    list.forEach(function (el, i) { el.setAttribute("aria-selected", i === selected ? "true" : "false"); });
    list[selected].focus();
  }

  function csrfToken() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function post(url) {
    var form = document.createElement("form");
    form.method = "post";
    form.action = url;
    var token = document.createElement("input");
    token.type = "hidden";
    token.name = "csrfmiddlewaretoken";
    token.value = csrfToken();
    form.appendChild(token);
    document.body.appendChild(form);
    form.submit();
  }

  function submitAction(name) {
    var form = document.querySelector("form[data-action=" + name + "]");
    if (form) { form.submit(); return true; }
    return false;
  }

  function openPanel(id) {
    var panel = document.getElementById(id);
    if (!panel) { return; }
    panel.open = true;
    var field = panel.querySelector("select, textarea, input:not([type=hidden])");
    if (field) { field.focus(); }
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) { return; }
    var tag = (event.target.tagName || "").toLowerCase();
    if (tag === "input" || tag === "textarea" || tag === "select" || event.target.isContentEditable) { return; }
    var list = items();
    var current = list[selected];
    switch (event.key) {
      case "j": select(selected + 1); break;
      case "k": select(selected - 1); break;
      case "Enter":
        if (current && queue) { window.location.href = current.getAttribute("data-item-url"); } else { return; }
        break;
      case "c":
        if (queue && current) { post(current.getAttribute("data-claim-url")); } else if (!submitAction("claim")) { return; }
        break;
      case "a": if (!submitAction("approve")) { return; } break;
      case "h": openPanel("hide-panel"); break;
      case "e": openPanel("escalate-panel"); break;
      default: return;
    }
    event.preventDefault();
  });

  if (!queue || !("WebSocket" in window) || !("fetch" in window)) {
    if (items().length) { select(0); }
    return;
  }

  var fragmentUrl = queue.getAttribute("data-queue-fragment-url");
  var wsPath = queue.getAttribute("data-queue-ws");
  var attempt = 0;
  var pending = null;

  function refresh() {
    // Coalesce bursts of events into one fetch.
    if (pending) { return; }
    pending = setTimeout(function () {
      pending = null;
      var keep = items()[selected];
      var keepId = keep ? keep.getAttribute("data-item-id") : null;
      fetch(fragmentUrl, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
        .then(function (response) { if (!response.ok) { throw new Error(response.status); } return response.text(); })
        .then(function (html) {
          queue.innerHTML = html;
          var list = items();
          var index = 0;
          list.forEach(function (el, i) { if (el.getAttribute("data-item-id") === keepId) { index = i; } });
          if (list.length) { selected = index; list.forEach(function (el, i) { el.setAttribute("aria-selected", i === index ? "true" : "false"); }); }
          body.setAttribute("data-queue-refreshed", String(Date.now()));
        })
        .catch(function () { /* the next doorbell or reconnect tries again */ });
    }, 150);
  }

  function connect() {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    var socket = new WebSocket(scheme + window.location.host + wsPath);
    socket.onopen = function () { attempt = 0; body.setAttribute("data-queue-state", "open"); };
    socket.onmessage = function (message) {
      var data;
      try { data = JSON.parse(message.data); } catch (e) { return; }
      if (data.event === "moderation.item_changed" || data.event === "moderation.ready") { refresh(); }
    };
    socket.onclose = function (event) {
      body.setAttribute("data-queue-state", "closed");
      if (event.code === 4401 || event.code === 4403) { return; }
      attempt += 1;
      var delay = Math.min(30000, 1000 * Math.pow(2, attempt)) * (0.5 + Math.random() / 2);
      setTimeout(connect, delay);
    };
  }

  if (items().length) { select(0); }
  connect();
})();
