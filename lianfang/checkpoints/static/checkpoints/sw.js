// The gate's service worker (served at /checkpoints/sw.js, scope /checkpoints/): the gate page
// and its static files reload with the network down. Pages: network first, the cached copy when
// offline. Static files: cache first (their names do not change between releases, so refreshed
// in the background). Nothing else is touched: the API and every POST go to the network.
"use strict";
var CACHE = "lianfang-gate-v1";
var GATE = /\/checkpoints\/[0-9a-f-]{36}\/gate\/$/;

self.addEventListener("install", function () { self.skipWaiting(); });
self.addEventListener("activate", function (event) { event.waitUntil(self.clients.claim()); });

function remember(request, response) {
  // Never a login page (a redirect) under the gate's address.
  if (response && response.ok && response.type === "basic" && !response.redirected) {
    var copy = response.clone();
    caches.open(CACHE).then(function (cache) { cache.put(request, copy); });
  }
  return response;
}

// The first visit is not controlled by the worker: the page asks for itself and its files to be
// cached once the worker is ready, so the very next reload works offline.
self.addEventListener("message", function (event) {
  var urls = (event.data && event.data.cache) || [];
  event.waitUntil(caches.open(CACHE).then(function (cache) {
    return Promise.all(urls.filter(function (u) { return new URL(u, self.location).origin === self.location.origin; })
      .map(function (u) { return fetch(u, { credentials: "same-origin" }).then(function (r) { return remember(new Request(u), r); }); }));
  }));
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (GATE.test(url.pathname)) {
    event.respondWith(fetch(request).then(function (r) { return remember(request, r); }).catch(function () {
      // ignoreVary: the page varies by cookie and language, and the copy asked for by the page
      // itself was fetched without the navigation's headers; one phone has one user.
      return caches.match(request, { ignoreSearch: true, ignoreVary: true });
    }));
  } else if (url.pathname.indexOf("/static/") === 0) {
    event.respondWith(caches.match(request).then(function (hit) {
      var fresh = fetch(request).then(function (r) { return remember(request, r); });
      return hit || fresh;
    }));
  }
});
