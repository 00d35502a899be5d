// Hisho as an installable app: registers the service worker (/sw.js), which keeps an
// offline page and shows pushes that carry no content (docs/notifications.md).
// `window.hishoPush.subscribe()` asks for notifications and subscribes this browser.
(function () {
  "use strict";
  var script = document.currentScript;
  if (!("serviceWorker" in navigator) || !window.isSecureContext) { return; }
  var worker = (script && script.dataset.worker) || "/sw.js";
  var ready = navigator.serviceWorker.register(worker, { scope: "/" });

  function keyBytes(base64url) {
    var text = atob(base64url.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((base64url.length + 3) % 4));
    var bytes = new Uint8Array(text.length);
    for (var i = 0; i < text.length; i++) { bytes[i] = text.charCodeAt(i); }
    return bytes;
  }

  function csrfToken() {
    var field = document.querySelector("input[name=csrfmiddlewaretoken]");
    return field ? field.value : "";
  }

  window.hishoPush = {
    subscribe: function () {
      return Notification.requestPermission().then(function (answer) {
        if (answer !== "granted") { throw new Error("notifications not allowed"); }
        return Promise.all([ready, fetch("/api/v1/push/vapid-public-key").then(function (r) { return r.json(); })]);
      }).then(function (both) {
        return both[0].pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(both[1].key) });
      }).then(function (subscription) {
        var json = subscription.toJSON();
        return fetch("/api/v1/me/push-subscriptions", {
          method: "POST",
          credentials: "same-origin",
          headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
          body: JSON.stringify({ endpoint: json.endpoint, keys: { p256dh: json.keys.p256dh, auth: json.keys.auth } }),
        }).then(function (r) { return r.json(); });
      });
    },
  };

  // The profile's "Turn on notifications on this device" (notify/settings.html): without
  // it nothing on the site ever subscribed a browser. Hidden where pushes cannot work.
  var device = document.querySelector("[data-push-device]");
  if (device && "PushManager" in window && "Notification" in window) {
    var button = device.querySelector("[data-push-subscribe]");
    var status = device.querySelector("[data-push-status]");
    device.hidden = false;
    button.addEventListener("click", function () {
      button.disabled = true;
      status.textContent = "";
      window.hishoPush.subscribe().then(function (answer) {
        if (!answer || !answer.id) { throw new Error("subscription not saved"); }
        status.textContent = button.dataset.done;
      }).catch(function () {
        status.textContent = button.dataset.failed;
        button.disabled = false;
      });
    });
  }
})();
