// The phone pass's service worker: keeps the pass's own files so that the page opens and shows
// its code with no network. Network first (an update arrives at the next visit online), the kept
// copy when the network fails or takes longer than a few seconds. The API is never kept.
"use strict";

const CACHE = "hetao-pass-v1";
const SHELL = [
  "/pass/",
  "/pass/pass.js",
  "/pass/pass.css",
  "/pass/qrcode.js",
  "/pass/manifest.webmanifest",
  "/pass/icon-192.png",
  "/pass/icon-512.png",
];
const PATIENCE_MS = 4000;

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((names) => Promise.all(names.filter((name) => name !== CACHE).map((name) => caches.delete(name))))
      .then(() => self.clients.claim())
  );
});

function fromNetwork(request, path) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("too slow")), PATIENCE_MS);
    fetch(request).then((response) => {
      clearTimeout(timer);
      if (response.ok) {
        const copy = response.clone();
        caches.open(CACHE).then((cache) => cache.put(path, copy));
      }
      resolve(response);
    }, (error) => { clearTimeout(timer); reject(error); });
  });
}

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== self.location.origin || !SHELL.includes(url.pathname)) {
    return;
  }
  event.respondWith(
    fromNetwork(event.request, url.pathname).catch(() =>
      caches.match(url.pathname).then((kept) => kept || Response.error())
    )
  );
});
