/* Werkbon offline storage (issue 12): one IndexedDB database per user, through idb.
 *
 * Database "werkbon-u<tenant>-<user>" with three stores:
 *   data   key "offline": the last offline data from /werkorders/app/gegevens/ (+ etag)
 *   queue  autoIncrement "seq": the actions in the order they were made:
 *          {seq, client_id, action, work_order, payload, created_at, state, reason}
 *          state "pending" (waits to be sent) or "refused" (the server said no: shown
 *          with its Dutch reason until the technician dismisses it)
 *   meta   key/value: "last_sync" (ISO time of the last successful sync)
 * localStorage "werkbon.offline.user" names the database of the user who last downloaded
 * data on this phone; a different user downloading deletes every other user's database. */
(function () {
  "use strict";
  const PREFIX = "werkbon-u";
  const POINTER = "werkbon.offline.user";

  function dbName(user) { return PREFIX + user.tenant + "-" + user.id; }

  function open(user) {
    return idb.openDB(dbName(user), 1, {
      upgrade(db) {
        db.createObjectStore("data");
        const queue = db.createObjectStore("queue", {keyPath: "seq", autoIncrement: true});
        queue.createIndex("client_id", "client_id", {unique: true});
        db.createObjectStore("meta");
      },
    });
  }

  function currentUser() {
    try { return JSON.parse(localStorage.getItem(POINTER) || "null"); } catch (e) { return null; }
  }

  async function deleteOthers(user) {
    const keep = user ? dbName(user) : null;
    const all = indexedDB.databases ? await indexedDB.databases() : [];
    await Promise.all(all.filter((d) => d.name && d.name.startsWith(PREFIX) && d.name !== keep)
      .map((d) => idb.deleteDB(d.name)));
  }

  class Store {
    constructor(user, db) { this.user = user; this.db = db; }

    static async forUser(user) {
      const previous = currentUser();
      if (!previous || previous.id !== user.id || previous.tenant !== user.tenant) {
        await deleteOthers(user);  // another user on this phone: nothing of theirs is kept
      }
      localStorage.setItem(POINTER, JSON.stringify({id: user.id, tenant: user.tenant, name: user.name}));
      return new Store(user, await open(user));
    }

    static async forCurrentUser() {
      const user = currentUser();
      return user ? new Store(user, await open(user)) : null;
    }

    static forget() { localStorage.removeItem(POINTER); }

    async getData() { return (await this.db.get("data", "offline")) || null; }
    async putData(data, etag) { await this.db.put("data", {data: data, etag: etag}, "offline"); }
    async getMeta(key) { return this.db.get("meta", key); }
    async setMeta(key, value) { await this.db.put("meta", value, key); }

    async enqueue(action, workOrder, payload) {
      const entry = {
        client_id: crypto.randomUUID(), action: action, work_order: workOrder, payload: payload,
        created_at: new Date().toISOString(), state: "pending", reason: "",
      };
      entry.seq = await this.db.add("queue", entry);
      return entry;
    }
    async all() { return this.db.getAll("queue"); }
    async pending() { return (await this.all()).filter((e) => e.state === "pending"); }
    async remove(seq) { await this.db.delete("queue", seq); }
    async refuse(seq, reason) {
      const tx = this.db.transaction("queue", "readwrite");
      const entry = await tx.store.get(seq);
      if (entry) { entry.state = "refused"; entry.reason = reason; await tx.store.put(entry); }
      await tx.done;
    }
    async update(seq, payload) {  // a waiting action corrected before it was sent
      const tx = this.db.transaction("queue", "readwrite");
      const entry = await tx.store.get(seq);
      const ok = !!entry && entry.state === "pending";
      if (ok) { entry.payload = payload; await tx.store.put(entry); }
      await tx.done;
      return ok;
    }
    async count() { return (await this.pending()).length; }
  }

  window.WerkbonStore = Store;
})();
