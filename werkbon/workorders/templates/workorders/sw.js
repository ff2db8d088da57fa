/* Werkbon's service worker (issue 12), rendered by werkbon/workorders/views/offline.py.
 * Version {{ version|safe }}: made from the files below, so a deployment with new static files
 * gives a new worker with new caches. The queue of offline actions lives in IndexedDB, not
 * in these caches, so an update never touches it. */
{% for url in workbox %}importScripts({{ url|safe }});
{% endfor %}
const VERSION = {{ version|safe }};
const APP_URL = {{ app_url|safe }};
const APP_PREFIX = {{ app_prefix|safe }};
const MY_WORK_PREFIX = {{ my_work_prefix|safe }};

workbox.core.setCacheNameDetails({prefix: "werkbon", suffix: VERSION});
// The app page's answer varies on the cookie (Django's session and CSRF middleware); the
// copy in the cache must serve any visit, so it is stored without Vary. Only good answers.
workbox.precaching.addPlugins([{
  cacheWillUpdate: async ({response}) => {
    if (!response || response.status !== 200) return null;
    if (!response.headers.has("Vary")) return response;
    const headers = new Headers(response.headers);
    headers.delete("Vary");
    return new Response(await response.blob(), {status: response.status, statusText: response.statusText, headers: headers});
  },
}]);
workbox.precaching.precacheAndRoute({{ precache|safe }});
// Caches of earlier versions are removed once this version is active.
workbox.precaching.cleanupOutdatedCaches();
self.addEventListener("activate", (event) => {
  event.waitUntil(caches.keys().then((names) => Promise.all(
    names.filter((name) => name.startsWith("werkbon-") && !name.endsWith(VERSION))
      .map((name) => caches.delete(name)))));
});

// The page says when it is safe to switch (no replay of the queue running): only then
// does the new version take over (werkbon/static/werkbon/offline-app.js).
self.addEventListener("message", (event) => {
  if (event.data && event.data.type === "SKIP_WAITING") self.skipWaiting();
});

// Navigations to the app and the technician's pages: the network first; without a
// connection the cached app, which draws the page from the offline data.
const appFallback = async ({request}) => {
  try {
    return await fetch(request);
  } catch (error) {
    const cached = await workbox.precaching.matchPrecache(APP_URL);
    if (cached) return cached;
    throw error;
  }
};
workbox.routing.registerRoute(
  ({request, url}) => request.mode === "navigate" && url.origin === self.location.origin
    && (url.pathname.startsWith(MY_WORK_PREFIX) || url.pathname.startsWith(APP_PREFIX)),
  appFallback);
