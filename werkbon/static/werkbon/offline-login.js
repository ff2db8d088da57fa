/* On the login page (issue 12, security review): someone logs in, maybe another user than
 * the one whose offline data this browser holds. The offline app then shows no stored data
 * (offline-store.js, "werkbon.offline.user") until the server confirmed who is logged in. */
(function () {
  "use strict";
  try { localStorage.removeItem("werkbon.offline.user"); } catch (err) { /* no storage */ }
})();
