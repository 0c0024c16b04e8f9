/* Clinician dashboard: live crisis alerts over a WebSocket doorbell.
 * Alerts are stored on the server first; on every (re)connect the server replays every alert
 * still waiting for us, so nothing is missed while offline. Acknowledge is one POST.
 * No framework: this must work on an old phone. */
(function () {
  "use strict";
  var root = document.getElementById("clinician-live");
  if (!root) return;
  var list = document.getElementById("pending-alerts");
  var status = document.getElementById("live-status");
  var notifyButton = document.getElementById("enable-notifications");
  // The token from a form on the page (always there: the nav's log-out form), else the cookie.
  var tokenInput = document.querySelector("input[name=csrfmiddlewaretoken]");
  var csrf = tokenInput ? tokenInput.value : ((document.cookie.match(/(?:^|; )csrftoken=([^;]+)/) || [])[1] || "");
  var seen = {};
  var retry = 1000;
  var audioContext = null;

  // Templates are reversed with the id 0: "/clinician/alerts/0/acknowledge/", "/clinician/cases/0/".
  function urlFor(template, id) { return template.replace(/\/0\//, "/" + encodeURIComponent(id) + "/"); }

  function beep() {
    try {
      audioContext = audioContext || new (window.AudioContext || window.webkitAudioContext)();
      var osc = audioContext.createOscillator();
      var gain = audioContext.createGain();
      osc.frequency.value = 880; gain.gain.value = 0.2;
      osc.connect(gain); gain.connect(audioContext.destination);
      osc.start(); osc.stop(audioContext.currentTime + 0.4);
    } catch (e) { /* sound is a nicety; the list and the title still change */ }
  }

  function notify(payload) {
    if (!("Notification" in window) || Notification.permission !== "granted") return;
    try {
      var n = new Notification("Kindred crisis alert", { body: "Case " + payload.case_id + " (" + payload.level + ") needs acknowledging.", tag: "kindred-case-" + payload.case_id, requireInteraction: true });
      n.onclick = function () { window.focus(); window.location.href = urlFor(root.dataset.caseUrlTemplate, payload.case_id); };
    } catch (e) { /* some browsers only allow notifications from a service worker */ }
  }

  function acknowledge(alertId, item) {
    var button = item.querySelector("button");
    if (button) { button.disabled = true; button.textContent = "Acknowledging…"; }
    fetch(urlFor(root.dataset.ackUrlTemplate, alertId), { method: "POST", headers: { "X-CSRFToken": csrf, "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.json().then(function (body) { return { ok: r.ok, body: body }; }); })
      .then(function (res) {
        if (!res.ok) throw new Error(res.body.error || "failed");
        window.location.href = urlFor(root.dataset.caseUrlTemplate, res.body.case_id);
      })
      .catch(function (err) { if (button) { button.disabled = false; button.textContent = "Acknowledge (try again)"; } status.textContent = "Could not acknowledge: " + err.message; });
  }

  function addAlert(payload) {
    var id = String(payload.alert_id);
    if (seen[id] || list.querySelector('[data-alert-id="' + id + '"]')) { seen[id] = true; return; }
    seen[id] = true;
    var empty = document.getElementById("no-alerts");
    if (empty) empty.remove();
    var item = document.createElement("li");
    item.className = "card crisis-alert crisis-alert--new";
    item.dataset.alertId = id;
    var text = document.createElement("strong");
    text.textContent = "Case " + payload.case_id;
    item.appendChild(text);
    item.appendChild(document.createTextNode(" (" + payload.level + ") · round " + payload.round + " · " + payload.target + " "));
    var button = document.createElement("button");
    button.type = "button";
    button.className = "button";
    button.textContent = "Acknowledge";
    button.addEventListener("click", function () { acknowledge(id, item); });
    item.appendChild(button);
    var link = document.createElement("a");
    link.href = urlFor(root.dataset.caseUrlTemplate, payload.case_id);
    link.textContent = "Open case";
    item.appendChild(link);
    list.insertBefore(item, list.firstChild);
    if (!payload.replay) { beep(); notify(payload); casesChanged(payload.case_id); }
    document.title = "(!) Crisis alert · Kindred";
  }

  function casesChanged(caseId) {
    var stale = document.getElementById("cases-stale");
    var listed = document.querySelector('#cases-title ~ table a[href="' + urlFor(root.dataset.caseUrlTemplate, caseId) + '"]');
    if (stale && !listed) stale.hidden = false;
  }

  function removeAlert(payload) {
    var item = list.querySelector('[data-alert-id="' + payload.alert_id + '"]');
    if (item) item.remove();
    if (!list.querySelector(".crisis-alert")) document.title = "Crisis dashboard · Kindred";
  }

  function connect() {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    var socket = new WebSocket(scheme + window.location.host + root.dataset.wsPath);
    socket.onopen = function () { retry = 1000; };
    socket.onmessage = function (message) {
      var data;
      try { data = JSON.parse(message.data); } catch (e) { return; }
      if (data.event === "crisis.alert") addAlert(data.payload);
      else if (data.event === "crisis.alert_closed") removeAlert(data.payload);
      else if (data.event === "crisis.ready") status.textContent = "Live alerts: connected.";
      else if (data.event === "crisis.case_changed") status.textContent = "Live alerts: connected. Case " + data.payload.case_id + " is now " + data.payload.status.replace("_", " ") + ".";
    };
    socket.onclose = function (event) {
      if (event.code === 4401 || event.code === 4403) { status.textContent = "Live alerts are off: please sign in as a clinician."; return; }
      status.textContent = "Live alerts: reconnecting… (the page still lists every alert when reloaded)";
      setTimeout(connect, retry);
      retry = Math.min(retry * 2, 30000);
    };
  }

  list.querySelectorAll(".crisis-alert").forEach(function (item) {
    var form = item.querySelector("form");
    if (!form) return;
    form.addEventListener("submit", function (event) { event.preventDefault(); acknowledge(item.dataset.alertId, item); });
  });
  if ("Notification" in window && Notification.permission === "default" && notifyButton) {
    notifyButton.hidden = false;
    notifyButton.addEventListener("click", function () { Notification.requestPermission().then(function () { notifyButton.hidden = true; }); });
  }
  if ("WebSocket" in window) connect(); else status.textContent = "Live alerts need a newer browser; reload the page to check for alerts.";
})();
