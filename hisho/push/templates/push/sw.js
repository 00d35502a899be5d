// Hisho's service worker (hisho/push/views.py; docs/notifications.md).
// It caches the offline page and its static files, nothing else: no page and no API
// answer is ever cached (they may show personal data). A push carries only an event
// type and an errand id; the notification is generic, and opening it opens Hisho.
"use strict";
{% autoescape off %}
const CACHE = "hisho-shell-{{ version }}";
const OFFLINE_URL = "{{ offline_url }}";
const SHELL = {{ shell }};
const TEXTS = {{ texts }};
{% endautoescape %}
const ERRAND_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting())
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(
        keys.filter((key) => key.startsWith("hisho-shell-") && key !== CACHE)
          .map((key) => caches.delete(key))
      ))
      .then(() => self.clients.claim())
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") { return; }
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) { return; }
  if (request.mode === "navigate") {
    // Pages always from the network; the offline page only when there is none.
    event.respondWith(fetch(request).catch(() => caches.match(OFFLINE_URL)));
    return;
  }
  if (SHELL.includes(url.pathname)) {
    event.respondWith(caches.match(request).then((hit) => hit || fetch(request)));
  }
  // Everything else (the API above all) goes to the network, uncached.
});

self.addEventListener("push", (event) => {
  let data = {};
  try { data = event.data ? event.data.json() : {}; } catch (e) { data = {}; }
  const errand = typeof data.errand === "string" && ERRAND_ID.test(data.errand) ? data.errand : null;
  const url = errand ? "/errands/" + errand + "/" : "/errands/";
  event.waitUntil(self.registration.showNotification(TEXTS.title, {
    body: data.type === "message" ? TEXTS.message : TEXTS.other,
    icon: TEXTS.icon,
    tag: errand || "hisho",
    data: { url: url },
  }));
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const url = (event.notification.data && event.notification.data.url) || "/errands/";
  event.waitUntil(
    self.clients.matchAll({ type: "window", includeUncontrolled: true }).then((windows) => {
      for (const client of windows) {
        if (new URL(client.url).pathname === url && "focus" in client) { return client.focus(); }
      }
      return self.clients.openWindow(url);
    })
  );
});
