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

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (GATE.test(url.pathname)) {
    event.respondWith(fetch(request).then(function (r) { return remember(request, r); }).catch(function () {
      return caches.match(request, { ignoreSearch: true });
    }));
  } else if (url.pathname.indexOf("/static/") === 0) {
    event.respondWith(caches.match(request).then(function (hit) {
      var fresh = fetch(request).then(function (r) { return remember(request, r); });
      return hit || fresh;
    }));
  }
});
