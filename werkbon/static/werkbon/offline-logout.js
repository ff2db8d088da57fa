/* Log out with actions still waiting (issue 12): warn first. On every page with the
 * "Uitloggen" button (base.html); reads the offline app's queue of the user on this phone
 * (offline-store.js). Without IndexedDB or without a queue it does nothing. */
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", () => {
    const button = document.querySelector('[data-testid="logout"]');
    if (!button || !window.WerkbonStore || !window.indexedDB) return;
    const form = button.form;
    let confirmed = false;
    form.addEventListener("submit", async (event) => {
      if (confirmed) return;
      event.preventDefault();
      let waiting = 0;
      try {
        const store = await WerkbonStore.forCurrentUser();
        waiting = store ? await store.count() : 0;
        if (store) store.db.close();
      } catch (err) { waiting = 0; }
      if (waiting && !window.confirm(form.dataset.queueWarning.replace("%(count)s", String(waiting)))) return;
      WerkbonStore.forget();
      confirmed = true;
      form.submit();
    });
  });
})();
