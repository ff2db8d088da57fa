/* Werkbon's offline app for technicians (issue 12); the page is workorders/app.html.
 *
 * Everything the technician does becomes one action in one queue (offline-store.js):
 * {client_id (crypto.randomUUID), action, work_order, payload}, kept in IndexedDB in order.
 * The screen draws the offline data plus what waits in the queue. The queue is replayed in
 * order through the batch endpoint (POST data-actions-url) when the connection returns (the
 * online event, and a retry with a growing pause), and on "Nu verzenden". Each answer is
 * per action: applied or already applied (removed from the queue), or refused (kept with
 * the server's Dutch reason until dismissed). No answer (connection lost, answer lost)
 * leaves the action in the queue and it is sent again with the same client id; the server
 * applies each client id at most once. */
(function () {
  "use strict";
  const body = document.body;
  const URLS = {
    sw: body.dataset.swUrl, data: body.dataset.dataUrl, actions: body.dataset.actionsUrl,
    login: body.dataset.loginUrl, logout: body.dataset.logoutUrl, app: body.dataset.appUrl,
    myWork: body.dataset.myWorkUrl,
  };
  // Actions per request (a photo goes alone); data-batch-size on <body> overrides (tests).
  const batchSize = () => Number(body.dataset.batchSize) || 10;
  const RETRY_MIN_MS = 5000, RETRY_MAX_MS = 5 * 60 * 1000;
  const KINDS = {work: "Werktijd", travel: "Reistijd"};
  const NAMES = {
    "time.add": "Tijd registreren", "time.correct": "Tijd corrigeren", "time.delete": "Tijd verwijderen",
    "material.add": "Materiaal registreren", "material.correct": "Materiaal corrigeren",
    "material.delete": "Materiaal verwijderen", "form.save": "Formulier opslaan",
    "photo.add": "Foto toevoegen", "signature.capture": "Handtekening", "workorder.complete": "Gereed melden",
    "workorder.create_on_site": "Werkbon aanmaken",
  };

  let store = null, data = null, syncing = false, retryMs = RETRY_MIN_MS, retryTimer = null;
  // Whose queue and data may be used (security review): "store" is set only for a user the
  // server confirmed (or, offline, the last one it confirmed in this browser, if nobody
  // logged in since); "confirmed": the server said so on this page. Nothing is sent before.
  let confirmed = false;

  // --- small DOM helpers (text only: nothing from the data is parsed as HTML) --------------
  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === "testid") el.dataset.testid = v;
      else if (k === "on") for (const [ev, fn] of Object.entries(v)) el.addEventListener(ev, fn);
      else if (k === "text") el.textContent = v;
      else el.setAttribute(k, v === true ? "" : v);
    }
    for (const c of children.flat()) if (c !== null && c !== undefined && c !== false)
      el.append(c instanceof Node ? c : document.createTextNode(String(c)));
    return el;
  }
  const $ = (testid) => document.querySelector('[data-testid="' + testid + '"]');
  const field = (label, input) => h("div", {class: "field"}, h("label", {}, label, input));
  function message(text) { $("sync-message").textContent = text || ""; }
  function today() {
    const d = new Date();
    return d.getFullYear() + "-" + String(d.getMonth() + 1).padStart(2, "0") + "-" + String(d.getDate()).padStart(2, "0");
  }
  function when(iso) {
    if (!iso) return "—";
    return new Date(iso).toLocaleString("nl-NL", {weekday: "short", day: "2-digit", month: "2-digit", hour: "2-digit", minute: "2-digit"});
  }
  function csrfToken() {
    const m = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return m ? decodeURIComponent(m[1]) : "";
  }

  // --- the queue on screen ------------------------------------------------------------------
  async function drawQueue() {
    const entries = store ? await store.all() : [];
    const pending = entries.filter((e) => e.state === "pending");
    const refused = entries.filter((e) => e.state === "refused");
    $("queue-count").textContent = String(pending.length);
    $("queue-label").textContent = pending.length === 1 ? "actie wacht op verzending" : "acties wachten op verzending";
    const last = store ? await store.getMeta("last_sync") : null;
    $("last-sync").textContent = last ? new Date(last).toLocaleString("nl-NL") : "nog niet";
    $("queue-list").replaceChildren(...pending.map((e) => h("li", {testid: "queued-action", "data-action": e.action},
      (NAMES[e.action] || e.action) + " · werkbon " + orderNumber(e.work_order) + " · " + describe(e))));
    $("refused-list").replaceChildren(...refused.map((e) => h("li", {class: "msg-error", testid: "refused-action"},
      h("strong", {}, (NAMES[e.action] || e.action) + " · werkbon " + orderNumber(e.work_order) + ": "),
      h("span", {testid: "refused-reason"}, e.reason || "geweigerd"), " ",
      h("button", {type: "button", class: "link", testid: "dismiss-refused", on: {click: async () => {
        await store.remove(e.seq); await drawQueue();
      }}}, "Gezien"))));
  }
  function orderNumber(id) {
    const o = data && data.orders.find((x) => x.id === id);
    return o ? o.number : (id || "—");
  }
  function describe(e) {
    const p = e.payload || {};
    if (e.action.startsWith("time.")) return p.minutes ? p.minutes + " min " + (KINDS[p.kind] || "") : "";
    if (e.action.startsWith("material.")) return p.quantity ? p.quantity + " × " + itemLabel(p.item_number) : "";
    if (e.action === "workorder.complete") return p.signed_by_name || "";
    return "";
  }
  function itemLabel(number) {
    const row = data && data.items.find((r) => r[1] === number);
    return row ? row[1] + " " + row[2] : String(number || "");
  }

  // --- sending ------------------------------------------------------------------------------
  function blobToBase64(blob) {
    return new Promise((resolve, reject) => {
      const reader = new FileReader();
      reader.onload = () => resolve(String(reader.result).split(",", 2)[1] || "");
      reader.onerror = () => reject(reader.error);
      reader.readAsDataURL(blob);
    });
  }
  async function wire(value) {  // Blobs (photos) become {name, content_type, data: base64}
    if (value instanceof Blob) {
      return {name: value.name || "foto.jpg", content_type: value.type || "application/octet-stream", data: await blobToBase64(value)};
    }
    if (Array.isArray(value)) return Promise.all(value.map(wire));
    if (value && typeof value === "object") {
      const out = {};
      for (const [k, v] of Object.entries(value)) out[k] = await wire(v);
      return out;
    }
    return value;
  }
  // A photo is made smaller on the phone before it is queued: at most MAX_EDGE pixels on
  // its longest side, JPEG (the server re-encodes it again); the request stays small.
  const MAX_EDGE = 2000;
  async function shrink(file) {
    try {
      const bitmap = await createImageBitmap(file);
      const scale = Math.min(1, MAX_EDGE / Math.max(bitmap.width, bitmap.height));
      const canvas = document.createElement("canvas");
      canvas.width = Math.max(1, Math.round(bitmap.width * scale));
      canvas.height = Math.max(1, Math.round(bitmap.height * scale));
      canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", 0.85));
      return blob ? new File([blob], (file.name || "foto").replace(/\.[^.]*$/, "") + ".jpg", {type: "image/jpeg"}) : file;
    } catch (err) {
      return file;  // not an image the browser can draw: the server decides
    }
  }
  const hasBlob = (v) => v instanceof Blob || (v && typeof v === "object" && Object.values(v).some(hasBlob));

  function scheduleRetry() {
    clearTimeout(retryTimer);
    retryTimer = setTimeout(() => { replay(); }, retryMs);
    retryMs = Math.min(retryMs * 2, RETRY_MAX_MS);
  }

  async function replay() {
    if (syncing) return;
    syncing = true;
    clearTimeout(retryTimer);
    document.body.dataset.syncing = "true";
    try {
      if (!confirmed && !(await refresh())) {
        if (store && $("app-login") === null && (await store.count())) scheduleRetry();
        return;
      }
      for (;;) {
        const pending = await store.pending();
        if (!pending.length) break;
        let batch = [];
        for (const e of pending) {
          if (hasBlob(e.payload)) { if (!batch.length) batch = [e]; break; }
          batch.push(e);
          if (batch.length >= batchSize()) break;
        }
        let response;
        try {
          const actions = await Promise.all(batch.map(async (e) => ({
            client_id: e.client_id, action: e.action, work_order: e.work_order, payload: await wire(e.payload),
          })));
          response = await fetch(URLS.actions, {
            method: "POST", credentials: "same-origin",
            headers: {"Content-Type": "application/json", "X-CSRFToken": csrfToken(), "Accept": "application/json",
              "X-Werkbon-Queue-Owner": String(store.user.id)},
            body: JSON.stringify(actions),
          });
        } catch (err) {
          message("Geen verbinding: de acties blijven bewaard en worden later verzonden.");
          scheduleRetry();
          return;
        }
        if (response.status === 401 || response.status === 403) {
          message("Log opnieuw in om te verzenden; de acties blijven bewaard.");
          showLogin();
          return;
        }
        if (response.status === 409) {  // another user logged in meanwhile: find out who
          confirmed = false;
          await refresh();
          return;
        }
        if (response.status === 413 && batch.length === 1) {  // never accepted: say so, keep it
          await store.refuse(batch[0].seq, "Te groot om te verzenden; maak de foto opnieuw, kleiner.");
          continue;
        }
        let answer = null;
        try { answer = response.ok ? await response.json() : null; } catch (err) { answer = null; }
        if (!Array.isArray(answer)) {
          message("De server antwoordde niet goed (" + response.status + "); later opnieuw.");
          scheduleRetry();
          return;
        }
        for (const result of answer) {
          const entry = batch.find((e) => e.client_id === result.client_id);
          if (!entry) continue;
          if (result.status === "refused") {
            // 404: the order is no longer planned to this technician (re-planned by the office)
            const reason = result.code === 404 && entry.work_order
              ? "Werkbon " + orderNumber(entry.work_order) + " is niet meer aan u toegewezen (het kantoor heeft hem opnieuw gepland)."
              : (result.detail || "Geweigerd.");
            await store.refuse(entry.seq, reason);
          }
          else await store.remove(entry.seq);  // applied, or already applied earlier
        }
        await store.setMeta("last_sync", new Date().toISOString());
        retryMs = RETRY_MIN_MS;
        await drawQueue();
      }
      message("");
      await refresh();
    } finally {
      syncing = false;
      delete document.body.dataset.syncing;
      await drawQueue();
      updateWorker();
    }
  }

  // --- the offline data ---------------------------------------------------------------------
  async function refresh(candidate) {
    candidate = candidate || store;  // whose ETag is asked about (not yet confirmed at start)
    let response;
    try {
      const saved = candidate ? await candidate.getData() : null;
      const headers = {"Accept": "application/json"};
      if (saved && saved.etag) headers["If-None-Match"] = saved.etag;
      response = await fetch(URLS.data, {credentials: "same-origin", headers: headers, cache: "no-store"});
    } catch (err) {
      return false;  // offline: keep what we have
    }
    if (response.status === 401) { confirmed = false; showLogin(); return false; }
    if (response.status === 304 && candidate) {  // the same data, so the same user
      confirmed = true;
      await candidate.setMeta("last_sync", new Date().toISOString());
      if (store !== candidate) {
        store = candidate; data = ((await store.getData()) || {}).data || null;
        await draw();
      }
      await showOthers();
      return true;
    }
    if (!response.ok) return false;
    const fresh = await response.json();
    if (store && (store.user.id !== fresh.user.id || store.user.tenant !== fresh.user.tenant)) {
      store.db.close();  // another user logged in: their data are deleted, never shown
      store = null; data = null;
    }
    if (candidate && candidate !== store) candidate.db.close();
    store = await WerkbonStore.forUser(fresh.user);
    confirmed = true;
    await showOthers();
    await store.putData(fresh, response.headers.get("ETag"));
    await store.setMeta("last_sync", new Date().toISOString());
    data = fresh;
    await draw();
    return true;
  }

  // Actions of other users waiting on this phone: a count and a name, never their details.
  async function showOthers() {
    let el = $("others-waiting");
    if (!el) {
      el = h("p", {class: "msg-error", testid: "others-waiting", role: "status"});
      $("sync-message").after(el);
    }
    const others = store ? await WerkbonStore.waitingOfOthers(store.user) : [];
    el.replaceChildren(...others.map((o) => h("span", {}, (o.count === 1 ? "Er wacht nog 1 actie" : "Er wachten nog " + o.count + " acties")
      + " van " + (o.name || "een andere gebruiker") + "; log in als " + (o.name || "die gebruiker") + " om ze te versturen. ")));
    el.hidden = !others.length;
  }

  function showLogin() {
    $("app-view").replaceChildren(h("p", {}, "U bent niet ingelogd. ",
      h("a", {href: URLS.login, class: "button", testid: "app-login"}, "Inloggen")));
  }

  // --- screens ------------------------------------------------------------------------------
  function route() {
    const m = location.hash.match(/^#werkbon\/(\d+)/) || location.pathname.match(/\/mijn\/(\d+)\/?$/);
    return m ? {order: Number(m[1])} : {};
  }

  async function draw() {
    await drawQueue();
    $("app-user").textContent = data ? data.user.name : "";
    $("app-logout").hidden = !data;
    if (!data) {
      $("app-view").replaceChildren(h("p", {}, "Nog geen gegevens op dit toestel."));
      return;
    }
    const r = route();
    const order = r.order && data.orders.find((o) => o.id === r.order);
    $("app-view").replaceChildren(order ? await orderScreen(order) : listScreen());
  }

  function listScreen() {
    return h("div", {},
      h("h1", {}, "Mijn werkbonnen"),
      h("ul", {class: "cards", testid: "app-orders"}, data.orders.length ? data.orders.map((o) => h("li", {},
        h("a", {class: "card tap", href: "#werkbon/" + o.id, testid: "app-open-order-" + o.number},
          h("strong", {}, when(o.planned_start) + " · " + o.number), h("br"),
          o.customer.name || "—", h("br"),
          h("small", {}, o.address.one_line), h("br"),
          h("small", {}, (o.description || "").slice(0, 100))))) : h("li", {}, "Niets voor u gepland.")));
  }

  async function queuedFor(order) {
    return (await store.all()).filter((e) => e.work_order === order.id && e.state === "pending");
  }

  async function orderScreen(order) {
    const queued = await queuedFor(order);
    const completing = queued.some((e) => e.action === "workorder.complete");
    const canChange = (order.status === "open" || order.status === "planned") && !completing;
    const section = (title, ...content) => h("section", {class: "card"}, h("h2", {}, title), ...content);
    const wait = h("small", {class: "pending"}, " (wacht op verzending)");

    // time: the server's entries with queued corrections and deletions, then queued additions
    const timeRows = order.time_entries.map((t) => {
      const del = queued.find((e) => e.action === "time.delete" && e.payload.time_entry_id === t.id);
      const cor = queued.filter((e) => e.action === "time.correct" && e.payload.time_entry_id === t.id).pop();
      const shown = cor ? Object.assign({}, t, {kind: cor.payload.kind, minutes: cor.payload.minutes, date: cor.payload.date}) : t;
      return h("li", {testid: "time-row"}, shown.date + " · " + (KINDS[shown.kind] || shown.kind) + " · " + shown.minutes + " min · " + t.technician,
        del ? h("small", {class: "pending"}, " (verwijderen wacht op verzending)") : (cor ? wait.cloneNode(true) : null),
        canChange && t.own && !del ? [" ", h("button", {type: "button", class: "link", testid: "time-correct", on: {click: () => correctTime(order, t, shown)}}, "Corrigeren"),
          " ", h("button", {type: "button", class: "link", testid: "time-delete", on: {click: () => queue("time.delete", order, {time_entry_id: t.id}, "Tijd verwijderen?")}}, "Verwijderen")] : null);
    }).concat(queued.filter((e) => e.action === "time.add").map((e) => h("li", {testid: "time-row"},
      e.payload.date + " · " + (KINDS[e.payload.kind] || "") + " · " + e.payload.minutes + " min", wait.cloneNode(true),
      canChange ? [" ", h("button", {type: "button", class: "link", testid: "queued-time-correct", on: {click: () => correctQueued(e, "minutes")}}, "Corrigeren"),
        " ", h("button", {type: "button", class: "link", testid: "queued-withdraw", on: {click: () => withdraw(e)}}, "Verwijderen")] : null)));

    const materialRows = order.material_lines.map((m) => {
      const del = queued.find((e) => e.action === "material.delete" && e.payload.material_line_id === m.id);
      const cor = queued.filter((e) => e.action === "material.correct" && e.payload.material_line_id === m.id).pop();
      return h("li", {testid: "material-row"}, (cor ? cor.payload.quantity : m.quantity) + " " + m.unit + " · " + m.item_number + " " + m.description + (m.note ? " · " + m.note : ""),
        del ? h("small", {class: "pending"}, " (verwijderen wacht op verzending)") : (cor ? wait.cloneNode(true) : null),
        canChange && m.own && !del ? [" ", h("button", {type: "button", class: "link", testid: "material-correct", on: {click: () => correctMaterial(order, m)}}, "Corrigeren"),
          " ", h("button", {type: "button", class: "link", testid: "material-delete",
          on: {click: () => queue("material.delete", order, {material_line_id: m.id}, "Materiaal verwijderen?")}}, "Verwijderen")] : null);
    }).concat(queued.filter((e) => e.action === "material.add").map((e) => h("li", {testid: "material-row"},
      e.payload.quantity + " × " + itemLabel(e.payload.item_number), wait.cloneNode(true),
      canChange ? [" ", h("button", {type: "button", class: "link", testid: "queued-material-correct", on: {click: () => correctQueued(e, "quantity")}}, "Corrigeren"),
        " ", h("button", {type: "button", class: "link", testid: "queued-withdraw", on: {click: () => withdraw(e)}}, "Verwijderen")] : null)));

    const formsDone = order.forms.map((f) => h("li", {}, f.name))
      .concat(queued.filter((e) => e.action === "form.save").map((e) => h("li", {testid: "form-row"},
        (data.templates.find((t) => t.id === e.payload.template_id) || {}).name || "", wait.cloneNode(true))));
    const photos = queued.filter((e) => e.action === "photo.add").map((e) => h("li", {testid: "photo-row"}, (e.payload.image && e.payload.image.name) || "foto", wait.cloneNode(true)));

    return h("div", {},
      h("p", {}, h("a", {href: "#", testid: "app-back"}, "← Mijn werkbonnen")),
      h("h1", {testid: "app-order-title"}, "Werkbon " + order.number),
      completing ? h("p", {class: "notice", testid: "app-completed"}, "Gereed gemeld (wacht op verzending).") : null,
      section("Klant en adres",
        h("p", {}, h("strong", {}, order.customer.name || "—"), " (" + (order.customer.number || "") + ")"),
        h("p", {}, order.address.name ? order.address.name + ", " : "", order.address.one_line),
        order.customer.phone ? h("p", {}, "Telefoon: ", h("a", {href: "tel:" + order.customer.phone}, order.customer.phone)) : null,
        order.customer_reference ? h("p", {}, "Referentie klant: " + order.customer_reference) : null,
        h("p", {class: "prewrap", testid: "app-description"}, order.description || "")),
      section("Installaties", order.installations.length ? h("ul", {testid: "installations"}, order.installations.map((i) => h("li", {},
        i.name + [i.brand, i.model].filter(Boolean).map((x) => " · " + x).join("") + (i.serial_number ? " · serienummer " + i.serial_number : ""),
        h("br"), h("small", {}, i.history.length ? i.history.map((x) => x.date + " " + x.text).join("; ") : "geen historie")))) : h("p", {}, "Geen installaties bekend.")),
      section("Tijd", h("ul", {class: "rows", testid: "time-rows"}, timeRows), canChange ? timeForm(order) : null),
      section("Materiaal", h("ul", {class: "rows", testid: "material-rows"}, materialRows), canChange ? materialForm(order) : null),
      section("Formulieren", h("ul", {class: "rows"}, formsDone), canChange ? formChooser(order) : null),
      can("photo.add") ? section("Foto's", h("ul", {class: "rows"}, photos), canChange ? photoForm(order) : null) : null,
      canChange ? section("Gereed melden", completeForm(order)) : null);
  }

  // The actions the server applies from the queue (the offline data name them).
  function can(name) { return !!(data && data.actions && data.actions.includes(name)); }

  async function queue(action, order, payload, confirmText) {
    if (confirmText && !window.confirm(confirmText)) return;
    await store.enqueue(action, order.id, payload);
    await draw();
    if (navigator.onLine) replay();
  }

  function timeForm(order) {
    const kind = h("select", {name: "kind", testid: "app-time-kind"}, Object.entries(KINDS).map(([v, l]) => h("option", {value: v}, l)));
    const minutes = h("input", {type: "number", name: "minutes", min: 1, max: data.limits.max_minutes, step: 1, inputmode: "numeric", required: true, testid: "app-time-minutes"});
    const date = h("input", {type: "date", name: "date", value: today(), max: today(), required: true, testid: "app-time-date"});
    return h("form", {class: "stacked", testid: "app-time-form", on: {submit: async (ev) => {
      ev.preventDefault();
      await queue("time.add", order, {kind: kind.value, minutes: Number(minutes.value), date: date.value});
    }}}, field("Soort", kind), field("Minuten", minutes), field("Datum", date),
    h("button", {type: "submit", class: "primary big", testid: "app-add-time"}, "Tijd toevoegen"));
  }

  async function correctTime(order, entry, shown) {
    const value = window.prompt("Minuten (" + (KINDS[shown.kind] || "") + ", " + shown.date + ")", String(shown.minutes));
    if (value === null) return;
    const minutes = Number(value);
    if (!Number.isInteger(minutes) || minutes < 1 || minutes > data.limits.max_minutes) {
      window.alert("Vul een heel aantal minuten in, van 1 tot " + data.limits.max_minutes + ".");
      return;
    }
    await queue("time.correct", order, {time_entry_id: entry.id, kind: shown.kind, minutes: minutes, date: shown.date});
  }

  // What waits in the queue was never sent: correcting or withdrawing it changes the queue
  // itself (not while a replay runs, which may be sending it right now).
  function busy() {
    if (!syncing) return false;
    window.alert("Even wachten: de wachtrij wordt nu verzonden.");
    return true;
  }
  async function withdraw(entry) {
    if (busy() || !window.confirm("Deze actie niet verzenden?")) return;
    await store.remove(entry.seq);
    await draw();
  }
  async function correctQueued(entry, key) {
    if (busy()) return;
    const value = window.prompt(key === "minutes" ? "Minuten" : "Aantal", String(entry.payload[key]));
    if (value === null) return;
    const payload = Object.assign({}, entry.payload);
    if (key === "minutes") {
      const minutes = Number(value);
      if (!Number.isInteger(minutes) || minutes < 1 || minutes > data.limits.max_minutes) {
        window.alert("Vul een heel aantal minuten in, van 1 tot " + data.limits.max_minutes + ".");
        return;
      }
      payload.minutes = minutes;
    } else {
      const q = quantityOf(value);
      if (!q) return;
      payload.quantity = q;
    }
    if (!(await store.update(entry.seq, payload))) window.alert("Deze actie is al verzonden.");
    await draw();
  }
  function quantityOf(value) {
    const q = String(value).trim().replace(",", ".");
    if (!/^\d{1,9}(\.\d{1,3})?$/.test(q) || Number(q) <= 0) { window.alert("Vul een aantal in, zoals 1 of 2,5."); return null; }
    return q;
  }
  async function correctMaterial(order, line) {
    const value = window.prompt("Aantal (" + line.item_number + " " + line.description + ")", line.quantity.replace(/\.?0+$/, ""));
    if (value === null) return;
    const q = quantityOf(value);
    if (!q) return;
    await queue("material.correct", order, {material_line_id: line.id, item_number: line.item_number, quantity: q, note: line.note});
  }

  function materialForm(order) {
    const search = h("input", {type: "search", placeholder: "zoek op nummer of omschrijving", maxlength: 100, testid: "app-item-search", autocomplete: "off"});
    const results = h("ul", {class: "options", testid: "app-item-results"});
    const chosen = h("input", {type: "hidden", name: "item"});
    const label = h("p", {testid: "app-item-chosen"}, "Geen artikel gekozen");
    const quantity = h("input", {type: "text", name: "quantity", inputmode: "decimal", required: true, value: "1", testid: "app-mat-quantity"});
    const note = h("input", {type: "text", name: "note", maxlength: data.limits.max_note, testid: "app-mat-note"});
    search.addEventListener("input", () => {
      const words = search.value.toLowerCase().split(/\s+/).filter(Boolean);
      const hits = [];
      if (words.length) for (const row of data.items) {
        const text = (row[1] + " " + row[2]).toLowerCase();
        if (words.every((w) => text.includes(w))) { hits.push(row); if (hits.length >= 20) break; }
      }
      results.replaceChildren(...hits.map((row) => h("li", {}, h("button", {type: "button", class: "link", testid: "app-item-option", on: {click: () => {
        chosen.value = row[1]; label.textContent = row[1] + " " + row[2] + (row[3] ? " (" + row[3] + ")" : ""); results.replaceChildren();
      }}}, row[1] + " " + row[2]))));
    });
    return h("form", {class: "stacked", testid: "app-material-form", on: {submit: async (ev) => {
      ev.preventDefault();
      if (!chosen.value) { window.alert("Kies een artikel uit de lijst."); return; }
      const q = quantity.value.trim().replace(",", ".");
      if (!/^\d{1,9}(\.\d{1,3})?$/.test(q) || Number(q) <= 0) { window.alert("Vul een aantal in, zoals 1 of 2,5."); return; }
      await queue("material.add", order, {item_number: chosen.value, quantity: q, note: note.value});
    }}}, field("Artikel zoeken", search), results, label, chosen, field("Aantal", quantity), field("Opmerking", note),
    h("button", {type: "submit", class: "primary big", testid: "app-add-material"}, "Materiaal toevoegen"));
  }

  function formChooser(order) {
    const holder = h("div", {});
    const select = h("select", {testid: "app-form-template"}, h("option", {value: ""}, "— kies een formulier —"),
      data.templates.map((t) => h("option", {value: t.id}, t.name)));
    select.addEventListener("change", () => {
      const template = data.templates.find((t) => String(t.id) === select.value);
      holder.replaceChildren(template ? formFill(order, template) : "");
    });
    return h("div", {}, field("Formulier invullen", select), holder);
  }

  function formFill(order, template) {
    const inputs = template.questions.map((q) => {
      let input;
      if (q.kind === "yes_no") input = h("select", {}, h("option", {value: ""}, "—"), h("option", {value: "yes"}, "ja"), h("option", {value: "no"}, "nee"));
      else if (q.kind === "choice") input = h("select", {}, h("option", {value: ""}, "—"), q.choices.map((c) => h("option", {value: c}, c)));
      else if (q.kind === "photo") input = can("form.photos") ? h("input", {type: "file", accept: "image/*", capture: "environment"}) : h("input", {type: "text", disabled: true, value: "foto: online toevoegen"});
      else if (q.kind === "number") input = h("input", {type: "text", inputmode: "decimal"});
      else input = h("textarea", {maxlength: data.limits.max_answer, rows: 3});
      input.dataset.testid = "app-question-" + q.id;
      if (q.required) input.required = true;
      return {q: q, input: input};
    });
    return h("form", {class: "stacked", testid: "app-form-fill", on: {submit: async (ev) => {
      ev.preventDefault();
      const answers = [], photos = [];
      for (const {q, input} of inputs) {
        if (q.kind === "photo") {
          const file = input.files && input.files[0];
          if (file) {
            if (file.size > data.limits.max_photo_bytes) { window.alert("De foto is te groot."); return; }
            photos.push({question_id: q.id, image: await shrink(file)});
          }
        } else answers.push({question_id: q.id, value: input.value});
      }
      const payload = {template_id: template.id, answers: answers};
      if (photos.length) payload.photos = photos;
      await queue("form.save", order, payload);
    }}}, inputs.map(({q, input}) => field(q.label + (q.required ? " *" : ""), input)),
    h("button", {type: "submit", class: "primary big", testid: "app-save-form"}, "Formulier opslaan"));
  }

  function photoForm(order) {
    const input = h("input", {type: "file", accept: "image/*", capture: "environment", required: true, testid: "app-photo-file"});
    const caption = h("input", {type: "text", maxlength: 200, testid: "app-photo-caption"});
    return h("form", {class: "stacked", testid: "app-photo-form", on: {submit: async (ev) => {
      ev.preventDefault();
      const file = input.files && input.files[0];
      if (!file) return;
      if (file.size > data.limits.max_photo_bytes) { window.alert("De foto is te groot."); return; }
      await queue("photo.add", order, {image: await shrink(file), caption: caption.value});
    }}}, field("Foto bij de werkbon", input), field("Onderschrift", caption), h("button", {type: "submit", class: "primary big", testid: "app-add-photo"}, "Foto toevoegen"));
  }

  function completeForm(order) {
    const name = h("input", {type: "text", maxlength: data.limits.max_signed_by, placeholder: "naam van de klant", testid: "app-signed-by"});
    const canvas = h("canvas", {width: 340, height: 160, class: "signature", testid: "app-signature"});
    let drawn = false, last = null;
    const ctx = canvas.getContext("2d");
    ctx.lineWidth = 2; ctx.lineCap = "round";
    const point = (ev) => { const r = canvas.getBoundingClientRect(); return [(ev.clientX - r.left) * canvas.width / r.width, (ev.clientY - r.top) * canvas.height / r.height]; };
    canvas.addEventListener("pointerdown", (ev) => { last = point(ev); canvas.setPointerCapture(ev.pointerId); });
    canvas.addEventListener("pointermove", (ev) => {
      if (!last) return;
      const p = point(ev);
      ctx.beginPath(); ctx.moveTo(last[0], last[1]); ctx.lineTo(p[0], p[1]); ctx.stroke();
      last = p; drawn = true;
    });
    canvas.addEventListener("pointerup", () => { last = null; });
    const clear = h("button", {type: "button", class: "link", on: {click: () => { ctx.clearRect(0, 0, canvas.width, canvas.height); drawn = false; }}}, "Wissen");
    return h("form", {class: "stacked", testid: "app-complete-form", on: {submit: async (ev) => {
      ev.preventDefault();
      if (!window.confirm("Deze werkbon gereed melden?")) return;
      if (drawn && can("signature.capture")) {
        const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/png"));
        await store.enqueue("signature.capture", order.id, {signer_name: name.value, image: new File([blob], "handtekening.png", {type: "image/png"})});
      }
      await queue("workorder.complete", order, {signed_by_name: name.value});
    }}}, field("Getekend door", name), can("signature.capture") ? [h("p", {}, "Handtekening van de klant"), canvas, clear] : null,
    h("button", {type: "submit", class: "primary big", testid: "app-complete"}, "Gereed melden"));
  }

  // --- log out, service worker --------------------------------------------------------------
  async function logOut() {
    const waiting = store ? await store.count() : 0;
    const what = waiting === 1 ? "Er wacht nog 1 actie" : "Er wachten nog " + waiting + " acties";
    if (waiting && !window.confirm(what + " op verzending. Ze worden pas verzonden als u weer inlogt op dit toestel. Toch uitloggen?")) return;
    await WerkbonStore.forget(store);
    const form = h("form", {method: "post", action: URLS.logout}, h("input", {type: "hidden", name: "csrfmiddlewaretoken", value: csrfToken()}));
    document.body.append(form);
    form.submit();
  }

  let registration = null;
  function updateWorker() {
    // A new version waits until no replay runs; the queue is in IndexedDB and survives.
    if (registration && registration.waiting && !syncing) registration.waiting.postMessage({type: "SKIP_WAITING"});
  }
  async function registerWorker() {
    if (!("serviceWorker" in navigator)) return;
    try {
      registration = await navigator.serviceWorker.register(URLS.sw, {scope: "/"});
      registration.addEventListener("updatefound", () => {
        const worker = registration.installing;
        if (worker) worker.addEventListener("statechange", () => { if (worker.state === "installed") updateWorker(); });
      });
      updateWorker();
      navigator.serviceWorker.addEventListener("controllerchange", () => {
        if (navigator.serviceWorker.controller) body.dataset.swVersion = "new";
      });
    } catch (err) {
      message("Offline werken is op dit toestel niet beschikbaar.");
    }
  }

  function netState() {
    $("net-state").textContent = navigator.onLine ? "online" : "offline";
    body.dataset.online = navigator.onLine ? "true" : "false";
  }

  async function start() {
    $("sync-now").addEventListener("click", () => { retryMs = RETRY_MIN_MS; replay(); });
    $("app-logout").addEventListener("click", logOut);
    window.addEventListener("online", () => { netState(); retryMs = RETRY_MIN_MS; replay(); });
    window.addEventListener("offline", netState);
    window.addEventListener("hashchange", draw);
    netState();
    // The last user the server confirmed in this browser: shown only after the server said
    // so again, or offline (no answer) when nobody logged in since (offline-login.js).
    const stored = await WerkbonStore.forCurrentUser();
    await registerWorker();
    if (await refresh(stored)) await replay();
    else if ($("app-login") === null) {  // no answer (offline): nobody says who is logged in
      if (!store && stored) {
        store = stored;
        const saved = await store.getData();
        data = saved ? saved.data : null;
      }
      await draw();
      if (store && (await store.count())) scheduleRetry();
    }
    body.dataset.ready = "true";
  }

  document.addEventListener("DOMContentLoaded", start);
})();
