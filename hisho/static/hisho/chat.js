// Live chat on the errand page (desk/errand_detail.html). Progressive enhancement: the
// page works without this file (the form posts, the page reloads); with it, messages,
// status and assignment changes appear live over a websocket, posts go over the same
// socket, and when websockets are blocked new messages are fetched every few seconds.
// Whatever was missed while disconnected comes from GET …/messages?after=<last id>.
// Text is only ever inserted with textContent.
(function () {
  "use strict";

  var root = document.getElementById("live-chat");
  if (!root || !window.fetch || !window.JSON) {
    return;
  }
  var list = document.getElementById("chat");
  var form = root.querySelector("form[data-live-form]");
  var field = form ? form.querySelector("textarea, input[name=body]") : null;
  var button = form ? form.querySelector("button[type=submit]") : null;
  var data = root.dataset;
  var POLL_MS = 5000;
  var MAX_FAILURES = 3; // handshakes that never opened before falling back to polling

  var last = parseInt(data.lastMessage || "0", 10) || 0;
  var seen = {};
  Array.prototype.forEach.call(list.querySelectorAll("li[data-id]"), function (li) {
    seen[li.getAttribute("data-id")] = true;
  });

  var socket = null;
  var everOpened = false;
  var failures = 0;
  var retryMs = 1000;
  var pollTimer = null;
  var stopped = false;
  var catchingUp = false;
  var refs = 0;

  var timeFormat;
  try {
    timeFormat = new Intl.DateTimeFormat(document.documentElement.lang || undefined, {
      month: "short", day: "numeric", hour: "2-digit", minute: "2-digit",
      hour12: false, timeZone: data.timeZone || undefined,
    });
  } catch (e) {
    timeFormat = null;
  }

  function notice(text, kind) {
    var box = root.querySelector(".live-notice");
    if (!box) {
      box = document.createElement("p");
      box.className = "live-notice";
      box.setAttribute("role", "status");
      list.parentNode.insertBefore(box, list);
    }
    box.textContent = text || "";
    box.hidden = !text;
    box.setAttribute("data-kind", kind || "info");
  }

  function addMessage(message) {
    var key = String(message.id);
    if (seen[key]) {
      return;
    }
    seen[key] = true;
    last = Math.max(last, message.id);
    var empty = document.getElementById("chat-empty");
    if (empty) {
      empty.parentNode.removeChild(empty);
    }
    var li = document.createElement("li");
    li.setAttribute("data-id", key);
    if (message.mine) {
      li.className = "mine";
    }
    var who = document.createElement("span");
    who.className = "who";
    var when = new Date(message.created_at);
    var name = message.author ? message.author.name : "";
    who.textContent = name + " · " + (timeFormat ? timeFormat.format(when) : when.toLocaleString());
    li.appendChild(who);
    li.appendChild(document.createTextNode(message.body));
    // Keep id order: events from two servers may arrive out of order.
    var after = null;
    Array.prototype.some.call(list.querySelectorAll("li[data-id]"), function (other) {
      if (parseInt(other.getAttribute("data-id"), 10) > message.id) {
        after = other;
        return true;
      }
      return false;
    });
    list.insertBefore(li, after);
  }

  function catchUp() {
    if (catchingUp) {
      return Promise.resolve();
    }
    catchingUp = true;
    function page() {
      var url = data.messagesUrl + "?limit=200&after=" + encodeURIComponent(last);
      return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) {
          if (response.status === 401 || response.status === 404) {
            stop(response.status === 401 ? data.textSignedOut : data.textLost);
            return null;
          }
          return response.ok ? response.json() : null;
        })
        .then(function (body) {
          if (!body) {
            return null;
          }
          body.items.forEach(addMessage);
          return body.has_more && body.items.length ? page() : null;
        });
    }
    return page()
      .catch(function () { /* offline for now: the next poll or reconnect tries again */ })
      .then(function () { catchingUp = false; });
  }

  // A status or assignment frame: redraw the status badge, "Handled by …", the status
  // buttons each person may use now and, for the customer, "Who handles this errand".
  // Names are inserted with textContent into the page's own translated sentences.
  function fill(template, name) {
    return (template || "").split("{name}").join(name);
  }

  function setErrand(frame) {
    var doc = root.ownerDocument;
    var status = frame.status;
    var span = doc.querySelector("[data-live-status]");
    if (span && frame.status_label) {
      span.className = "status " + status;
      span.textContent = frame.status_label;
    }
    var open = status !== "done" && status !== "cancelled";
    Array.prototype.forEach.call(doc.querySelectorAll("form[data-live-when]"), function (f) {
      f.hidden = f.getAttribute("data-live-when").split(" ").indexOf(status) < 0;
    });
    if (!open && form) {
      form.hidden = true;
    }
    if (!("assignee" in frame)) {
      return;
    }
    var name = frame.assignee ? frame.assignee.name : "";
    var handler = doc.querySelector("[data-live-handler]");
    if (handler) {
      handler.textContent = frame.assignee
        ? fill(handler.getAttribute("data-text-handled-by"), name)
        : handler.getAttribute("data-text-waiting");
      handler.classList.toggle("muted", !frame.assignee);
    }
    var state = !frame.assignee ? "none" : frame.accepted ? "accepted" : "waiting";
    Array.prototype.forEach.call(doc.querySelectorAll("[data-live-who]"), function (box) {
      box.hidden = box.getAttribute("data-live-who") !== state;
      var text = box.querySelector("p[data-text]");
      if (text && frame.assignee) {
        text.textContent = fill(text.getAttribute("data-text"), name);
      }
    });
    var other = doc.querySelector("form[data-live-other]");
    if (other) {
      other.hidden = !frame.assignee || !open;
    }
  }

  // A payment request changed (hisho.payments): its status, live, on both sides. A new
  // one (not on the page yet) shows on reload; its chat message arrives live anyway.
  function setPayment(payment) {
    if (!payment) {
      return;
    }
    var row = root.ownerDocument.querySelector('[data-payment="' + payment.id + '"]');
    if (!row) {
      notice(data.textChanged, "info");
      return;
    }
    row.setAttribute("data-status", payment.status);
    var label = row.querySelector("[data-payment-status]");
    if (label) {
      label.textContent = payment.status_label;
    }
    var payable = ["open", "failed", "expired"].indexOf(payment.status) >= 0;
    Array.prototype.forEach.call(row.querySelectorAll("form[data-payable]"), function (f) {
      f.hidden = !payable;
    });
  }

  function stop(text) {
    stopped = true;
    if (pollTimer) {
      clearInterval(pollTimer);
      pollTimer = null;
    }
    if (socket) {
      socket.close();
      socket = null;
    }
    if (form) {
      form.hidden = true;
    }
    notice(text, "error");
  }

  function startPolling() {
    if (pollTimer || stopped) {
      return;
    }
    notice(data.textOffline, "info");
    catchUp();
    pollTimer = setInterval(catchUp, POLL_MS);
  }

  // The errand's files (attachments/errand_attachments.html), redrawn when one is added.
  function setFiles(files) {
    var box = document.getElementById("attachments");
    if (!box) {
      return;
    }
    var list = box.querySelector("ul.files");
    var none = box.querySelector(":scope > p.muted");
    if (!list) {
      list = document.createElement("ul");
      list.className = "files";
      box.insertBefore(list, none || box.querySelector("form"));
    }
    if (none && files.length) {
      none.remove();
    }
    list.textContent = "";
    files.forEach(function (file) {
      var item = document.createElement("li");
      item.setAttribute("data-attachment", file.id);
      var link = document.createElement("a");
      link.href = file.url;
      link.setAttribute("download", "");
      link.textContent = file.name;
      var about = document.createElement("span");
      about.className = "muted";
      about.textContent = file.about;
      item.appendChild(link);
      item.appendChild(document.createTextNode(" "));
      item.appendChild(about);
      list.appendChild(item);
    });
  }

  function onFrame(event) {
    var frame;
    try {
      frame = JSON.parse(event.data);
    } catch (e) {
      return;
    }
    if (frame.type === "message" || frame.type === "posted") {
      addMessage(frame.message);
    }
    if (frame.type === "posted") {
      if (field) {
        field.value = "";
      }
      if (button) {
        button.disabled = false;
      }
      notice(frame.message.notice || "", "info");
    } else if (frame.type === "error") {
      if (button) {
        button.disabled = false;
      }
      var first = frame.errors && frame.errors[0];
      notice(first ? first.message : frame.detail, "error");
    } else if (frame.type === "payment") {
      setPayment(frame.payment);
    } else if (frame.type === "files") {
      setFiles(frame.files || []);
    } else if (frame.type === "status" || frame.type === "assignment") {
      setErrand(frame);
    }
  }

  function connect() {
    if (stopped || !window.WebSocket) {
      startPolling();
      return;
    }
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    try {
      socket = new WebSocket(scheme + window.location.host + data.wsPath);
    } catch (e) {
      startPolling();
      return;
    }
    socket.addEventListener("open", function () {
      everOpened = true;
      failures = 0;
      retryMs = 1000;
      if (pollTimer) {
        clearInterval(pollTimer);
        pollTimer = null;
        notice("", "info");
      }
      // Subscribed first, then fetch what came in meanwhile: nothing falls in between.
      catchUp();
    });
    socket.addEventListener("message", onFrame);
    socket.addEventListener("close", function (event) {
      socket = null;
      if (button) {
        button.disabled = false;
      }
      if (event.code === 4404) {
        stop(data.textLost);
        return;
      }
      if (event.code === 4401) {
        stop(data.textSignedOut);
        return;
      }
      if (!everOpened) {
        failures += 1;
      }
      if (failures >= MAX_FAILURES) {
        // Blocked (a proxy without websockets, say): poll, and try again now and then.
        startPolling();
        setTimeout(connect, 60000);
        return;
      }
      setTimeout(connect, retryMs);
      retryMs = Math.min(retryMs * 2, 30000);
    });
  }

  if (form && field) {
    form.addEventListener("submit", function (event) {
      if (!socket || socket.readyState !== 1 || !field.value.trim()) {
        return; // the ordinary form post
      }
      event.preventDefault();
      refs += 1;
      if (button) {
        button.disabled = true;
      }
      socket.send(JSON.stringify({ type: "message.post", ref: "m" + refs, body: field.value }));
    });
  }

  connect();
})();
