/* Log out with actions still waiting (issue 12): warn first. On every page with the
 * "Uitloggen" button (base.html); reads the offline app's queue of the user on this phone
 * (offline-store.js). Then deletes that user's offline database (only the waiting queue stays,
 * for that user alone). Without IndexedDB it does nothing. */
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
      let waiting = 0, store = null;
      try {
        store = await WerkbonStore.forCurrentUser();
        waiting = store ? await store.count() : 0;
      } catch (err) { waiting = 0; }
      if (waiting && !window.confirm(form.dataset.queueWarning.replace("%(count)s", String(waiting)))) {
        if (store) store.db.close();
        return;
      }
      // the user's offline database is deleted (with actions waiting: all but the queue)
      try { await WerkbonStore.forget(store); } catch (err) { /* log out anyway */ }
      confirmed = true;
      form.submit();
    });
  });
})();
