/*
 * Kindred live updates: new replies on an open thread page and the unread-notification badge.
 *
 * Progressive enhancement: pages work fully without this file. It does nothing unless
 * <body data-live-url="/ws/live/"> is present.
 *
 * The WebSocket is a doorbell. Events carry ids only; on "post.created" the page fetches the
 * posts it has not shown yet from the server (data-live-posts-url?after_post=<last post id>),
 * rendered by the same template as the page, with the usual visibility rules. On every
 * (re)connect it re-watches the thread and catches up the same way, so nothing missed while
 * offline is lost. Reconnects back off exponentially with jitter.
 *
 * Markup it uses (all optional except data-live-url):
 *   <body data-live-url="/ws/live/" data-live-unread-url="/live/unread-count/">
 *   <div id="posts" data-thread-id="12" data-live-posts-url="/live/threads/12/posts/" data-at-end="true">
 *     <article id="post-34" data-author="GentleOtter">...</article> ...
 *   </div>
 *   <span id="notif-count" hidden>0</span>
 *
 * It sets <body data-live-state="connecting|open|watching|closed"> (for styling and tests).
 */
(function () {
  "use strict";

  var body = document.body;
  var wsPath = body && body.getAttribute("data-live-url");
  if (!wsPath || !("WebSocket" in window) || !("fetch" in window)) {
    return;
  }

  var BACKOFF_BASE_MS = 1000;
  var BACKOFF_MAX_MS = 30000;
  var CLOSE_NOT_AUTHENTICATED = 4401;
  var MAX_CATCH_UP_ROUNDS = 10;
  var POST_ID = /^post-(\d+)$/;

  var unreadUrl = body.getAttribute("data-live-unread-url");
  var container = document.querySelector("[data-thread-id][data-live-posts-url]");
  var threadId = container ? parseInt(container.getAttribute("data-thread-id"), 10) : null;
  var postsUrl = container ? container.getAttribute("data-live-posts-url") : null;
  var atEnd = container ? container.getAttribute("data-at-end") !== "false" : false;
  var badge = document.getElementById("notif-count");

  var socket = null;
  var attempt = 0;
  var retryTimer = null;
  var stopped = false;
  var work = Promise.resolve(); // fetches run one after another, so posts never arrive twice

  // A polite live region, created once, before anything needs announcing.
  var announcer = document.createElement("p");
  announcer.id = "live-announcer";
  announcer.className = "visually-hidden";
  announcer.setAttribute("role", "status");
  announcer.setAttribute("aria-live", "polite");
  document.body.appendChild(announcer);

  function announce(text) {
    announcer.textContent = "";
    // A fresh text node after a tick makes screen readers announce a repeated message too.
    window.setTimeout(function () {
      announcer.textContent = text;
    }, 50);
  }

  function setState(state) {
    body.setAttribute("data-live-state", state);
  }

  function enqueue(task) {
    work = work.then(task).catch(function () {
      /* a failed fetch is retried on the next event or reconnect */
    });
    return work;
  }

  // Posts on the page.

  function postIdOf(element) {
    var match = element && element.id ? POST_ID.exec(element.id) : null;
    return match ? parseInt(match[1], 10) : null;
  }

  function postElements() {
    return Array.prototype.filter.call(container.children, function (element) {
      return postIdOf(element) !== null;
    });
  }

  function lastPostId() {
    var elements = postElements();
    return elements.length ? postIdOf(elements[elements.length - 1]) : null;
  }

  function authorOf(article) {
    if (article.getAttribute("data-author")) {
      return article.getAttribute("data-author");
    }
    var strong = article.querySelector("header strong");
    return strong ? strong.textContent.trim() : "someone";
  }

  function parseFragment(html) {
    var template = document.createElement("template");
    template.innerHTML = html;
    return Array.prototype.filter.call(template.content.children, function (element) {
      return postIdOf(element) !== null;
    });
  }

  function announceNew(articles) {
    if (articles.length === 1) {
      announce("New reply from " + authorOf(articles[0]));
    } else if (articles.length > 1) {
      announce(articles.length + " new replies");
    }
  }

  function fetchPosts(query) {
    return fetch(postsUrl + "?" + query, {
      credentials: "same-origin",
      headers: { Accept: "text/html" },
      cache: "no-store",
    });
  }

  // Append every visible post after the last one shown (new replies, and any missed offline).
  function catchUp() {
    if (!container || !atEnd) {
      return Promise.resolve();
    }
    var added = [];
    function round(n) {
      var after = lastPostId();
      if (after === null || n >= MAX_CATCH_UP_ROUNDS) {
        return Promise.resolve();
      }
      return fetchPosts("after_post=" + after).then(function (response) {
        if (response.status !== 200) {
          return null;
        }
        var more = response.headers.get("X-Live-More") === "1";
        return response.text().then(function (html) {
          parseFragment(html).forEach(function (article) {
            if (!document.getElementById(article.id)) {
              container.appendChild(article);
              added.push(article);
            }
          });
          return more ? round(n + 1) : null;
        });
      });
    }
    return round(0).then(function () {
      announceNew(added);
    });
  }

  // Re-render one post in place (published after review, edited, withdrawn), or drop it.
  function refreshPost(postId) {
    if (!container) {
      return Promise.resolve();
    }
    return fetchPosts("post=" + postId).then(function (response) {
      var existing = document.getElementById("post-" + postId);
      if (response.status === 204) {
        if (existing) {
          existing.remove();
        }
        return null;
      }
      if (response.status !== 200) {
        return null;
      }
      return response.text().then(function (html) {
        var article = parseFragment(html)[0];
        if (!article) {
          return;
        }
        if (existing) {
          existing.replaceWith(article);
          return;
        }
        // Ids grow with creation time, so the first shown post with a larger id comes after it.
        var next = postElements().find(function (element) {
          return postIdOf(element) > postId;
        });
        if (next) {
          container.insertBefore(article, next);
        } else if (atEnd) {
          container.appendChild(article);
        } else {
          return;
        }
        announceNew([article]);
      });
    });
  }

  // The notification badge.

  function setBadge(count) {
    if (!badge || typeof count !== "number" || count < 0) {
      return;
    }
    badge.setAttribute("data-unread-count", String(count));
    badge.textContent = String(count);
    var hint = document.createElement("span");
    hint.className = "visually-hidden";
    hint.textContent = count === 1 ? " unread notification" : " unread notifications";
    badge.appendChild(hint);
    badge.hidden = count === 0;
  }

  function refreshBadge() {
    if (!badge || !unreadUrl) {
      return Promise.resolve();
    }
    return fetch(unreadUrl, { credentials: "same-origin", headers: { Accept: "application/json" }, cache: "no-store" })
      .then(function (response) {
        return response.ok ? response.json() : null;
      })
      .then(function (data) {
        if (data) {
          setBadge(data.unread_count);
        }
      });
  }

  // The socket.

  function onEvent(message) {
    var payload = message.payload || {};
    switch (message.event) {
      case "live.watching":
        // Watching from now on; fetch whatever happened before we joined.
        enqueue(catchUp).then(function () {
          setState("watching");
        });
        break;
      case "post.created":
        if (payload.thread_id === threadId) {
          if (atEnd) {
            enqueue(catchUp);
          } else {
            announce("New replies in this thread: see the newer posts.");
          }
        }
        break;
      case "post.published":
      case "post.edited":
      case "post.withdrawn":
        if (payload.thread_id === threadId) {
          enqueue(function () {
            return refreshPost(payload.post_id);
          });
        }
        break;
      case "notifications.changed":
        setBadge(payload.unread_count);
        break;
      default:
        break;
    }
  }

  function scheduleReconnect() {
    if (stopped || retryTimer !== null) {
      return;
    }
    var ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * Math.pow(2, attempt));
    var delay = ceiling / 2 + Math.random() * (ceiling / 2); // jitter: a restart is not a stampede
    attempt += 1;
    retryTimer = window.setTimeout(function () {
      retryTimer = null;
      connect();
    }, delay);
  }

  function connect() {
    if (stopped || (socket && socket.readyState <= WebSocket.OPEN)) {
      return;
    }
    var scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
    setState("connecting");
    socket = new WebSocket(scheme + "//" + window.location.host + wsPath);
    socket.addEventListener("open", function () {
      attempt = 0;
      setState("open");
      if (threadId) {
        socket.send(JSON.stringify({ action: "watch_thread", thread_id: threadId }));
      }
      enqueue(refreshBadge);
    });
    socket.addEventListener("message", function (event) {
      try {
        onEvent(JSON.parse(event.data));
      } catch (error) {
        /* ignore a malformed frame */
      }
    });
    socket.addEventListener("close", function (event) {
      socket = null;
      setState("closed");
      if (event.code === CLOSE_NOT_AUTHENTICATED) {
        stopped = true; // signed out: reconnecting cannot help
        return;
      }
      scheduleReconnect();
    });
  }

  window.addEventListener("online", function () {
    if (retryTimer !== null) {
      window.clearTimeout(retryTimer);
      retryTimer = null;
    }
    attempt = 0;
    connect();
  });
  window.addEventListener("pagehide", function () {
    stopped = true;
    if (socket) {
      socket.close(1000);
    }
  });
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) {
      // Restored from the back/forward cache: reconnect and catch up.
      stopped = false;
      attempt = 0;
      connect();
    }
  });

  connect();
})();
