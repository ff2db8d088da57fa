/* Werkbon offline storage (issue 12): one IndexedDB database per user, through idb.
 *
 * Database "werkbon-u<tenant>-<user>" with three stores:
 *   data   key "offline": the last offline data from /werkorders/app/gegevens/ (+ etag)
 *   queue  autoIncrement "seq": the actions in the order they were made:
 *          {seq, client_id, action, work_order, payload, created_at, state, reason}
 *          state "pending" (waits to be sent) or "refused" (the server said no: shown
 *          with its Dutch reason until the technician dismisses it)
 *   meta   key/value: "last_sync" (ISO time of the last successful sync), "owner"
 *          ({id, tenant, name} of the user whose database it is)
 * localStorage "werkbon.offline.user" names the database of the last user the server
 * confirmed in this browser (offline-app.js draws it offline only); the login page
 * (offline-login.js) and logging out remove it. A different user downloading deletes every
 * other user's database, except the queue of actions still waiting: that stays, without
 * the data, for its owner only (sent when the owner logs in again; others see a count).
 * Logging out (forget) deletes the user's database, or with actions waiting its data. */
(function () {
  "use strict";
  const PREFIX = "werkbon-u";
  const POINTER = "werkbon.offline.user";

  function dbName(user) { return PREFIX + user.tenant + "-" + user.id; }

  function open(user) { return openName(dbName(user)); }
  async function openName(name) {
    const db = await idb.openDB(name, 1, {
      blocking() { db.close(); },  // another page deletes it (a logout): let it
      upgrade(db) {
        db.createObjectStore("data");
        const queue = db.createObjectStore("queue", {keyPath: "seq", autoIncrement: true});
        queue.createIndex("client_id", "client_id", {unique: true});
        db.createObjectStore("meta");
      },
    });
    return db;
  }

  function currentUser() {
    try { return JSON.parse(localStorage.getItem(POINTER) || "null"); } catch (e) { return null; }
  }

  async function otherNames(user) {
    const keep = user ? dbName(user) : null;
    const all = indexedDB.databases ? await indexedDB.databases() : [];
    return all.map((d) => d.name).filter((n) => n && n.startsWith(PREFIX) && n !== keep);
  }
  const isPending = (e) => e.state === "pending";

  // Empty queue: the whole database goes; actions waiting: only the data go (customers,
  // addresses, orders), the queue stays for its owner. Never waits long for other pages.
  async function drop(name, db) {
    db = db || await openName(name);
    const waiting = (await db.getAll("queue")).filter(isPending).length;
    if (waiting) await db.clear("data");
    db.close();
    if (!waiting) await Promise.race([idb.deleteDB(name), new Promise((r) => setTimeout(r, 1000))]);
    return waiting;
  }

  async function deleteOthers(user) {
    await Promise.all((await otherNames(user)).map((n) => drop(n).catch(() => 0)));
  }

  class Store {
    constructor(user, db) { this.user = user; this.db = db; }

    static async forUser(user) {
      const previous = currentUser();
      if (!previous || previous.id !== user.id || previous.tenant !== user.tenant) {
        await deleteOthers(user);  // another user on this phone: nothing of theirs is kept
      }
      const owner = {id: user.id, tenant: user.tenant, name: user.name};
      localStorage.setItem(POINTER, JSON.stringify(owner));
      const store = new Store(user, await open(user));
      await store.setMeta("owner", owner);
      return store;
    }

    // Other users' actions still waiting on this phone: [{name, count}] (no details).
    static async waitingOfOthers(user) {
      const out = [];
      for (const n of await otherNames(user)) {
        try {
          const db = await openName(n);
          const count = (await db.getAll("queue")).filter(isPending).length;
          const owner = await db.get("meta", "owner");
          db.close();
          if (count) out.push({name: (owner && owner.name) || "", count: count});
        } catch (err) { /* unreadable: nothing to say */ }
      }
      return out;
    }

    static async forCurrentUser() {
      const user = currentUser();
      return user ? new Store(user, await open(user)) : null;
    }

    // Logging out: the user's database is deleted (with actions waiting, only its data).
    static async forget(store) {
      const user = currentUser();
      localStorage.removeItem(POINTER);
      if (!user) return;
      try {
        await drop(dbName(user), store && store.user.id === user.id && store.user.tenant === user.tenant ? store.db : null);
      } catch (err) { /* the pointer is gone: nobody is shown this database */ }
    }

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
    // A work order made on site that was never sent: its creation and every action queued on
    // it go in one transaction (none of it may be sent without the rest); false when its
    // creation is no longer waiting (sent meanwhile).
    async removeLocalOrder(clientId) {
      const tx = this.db.transaction("queue", "readwrite");
      const entries = await tx.store.getAll();
      const creation = entries.find((e) => e.client_id === clientId && e.state === "pending");
      if (creation) {
        for (const e of entries) if (e.client_id === clientId || e.work_order === clientId) await tx.store.delete(e.seq);
      }
      await tx.done;
      return !!creation;
    }
    // A work order made on site was sent: the actions still waiting on it name the server's
    // id from now on instead of the creation's client id (the server accepts both).
    async retarget(clientId, orderId) {
      const tx = this.db.transaction("queue", "readwrite");
      for (const e of await tx.store.getAll()) {
        if (e.work_order === clientId) { e.work_order = orderId; await tx.store.put(e); }
      }
      await tx.done;
    }
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
