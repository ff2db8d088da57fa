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
  // Texts: English msgids, translated by Django's JavaScript catalog (djangojs domain,
  // werkbon/locale/*/LC_MESSAGES/djangojs.po) that start() loads for the user's language.
  const N_ = (text) => text;  // marks a msgid translated where it is shown
  const gettext = (text) => (window.gettext ? window.gettext(text) : text);
  const interpolate = (fmt, obj) => (window.interpolate ? window.interpolate(fmt, obj, true)
    : fmt.replace(/%\(\w+\)s/g, (m) => String(obj[m.slice(2, -2)])));
  const ngettext = (one, more, n) => (window.ngettext ? window.ngettext(one, more, n) : (n === 1 ? one : more));
  const RETRY_MIN_MS = 5000, RETRY_MAX_MS = 5 * 60 * 1000;
  const KINDS = {work: N_("Work time"), travel: N_("Travel time")};
  const NAMES = {
    "time.add": N_("Register time"), "time.correct": N_("Correct time"), "time.delete": N_("Delete time"),
    "material.add": N_("Register material"), "material.correct": N_("Correct material"),
    "material.delete": N_("Delete material"), "form.save": N_("Save form"),
    "photo.add": N_("Add photo"), "signature.capture": N_("Signature"), "workorder.complete": N_("Report completed"),
    "workorder.create_on_site": N_("Make work order"),
  };

  const kindName = (kind) => (KINDS[kind] ? gettext(KINDS[kind]) : kind || "");
  const actionName = (action) => (NAMES[action] ? gettext(NAMES[action]) : action);

  let local = [];  // work orders made on site that wait in the queue (see localOrders)
  // Work orders made on site that the server has made (client id → the order as shown, under
  // the server's id and number) until the offline data hold them: the screen stays on them.
  const made = new Map();
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
  // Dates as the website writes them (d-m-Y, in every language); the payloads keep ISO dates.
  function day(iso) {  // "2026-12-04" → "04-12-2026"
    const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(iso || "");
    return m ? m[3] + "-" + m[2] + "-" + m[1] : (iso || "");
  }
  // A moment in the company's time, whatever the phone's time zone (the site shows
  // Europe/Amsterdam too): "04-12-2026 08:00", with the weekday "vr 04-12-2026 08:00".
  function moment(iso, weekday) {
    const p = {};
    for (const x of new Intl.DateTimeFormat(locale(), {weekday: "short", year: "numeric", month: "2-digit", day: "2-digit",
      hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone: "Europe/Amsterdam"}).formatToParts(new Date(iso))) p[x.type] = x.value;
    return (weekday ? p.weekday.replace(/\.$/, "") + " " : "") + p.day + "-" + p.month + "-" + p.year + " " + p.hour + ":" + p.minute;
  }
  function when(iso) { return iso ? moment(iso, true) : "—"; }
  // The language: the user's choice (Django's language cookie, set by the language switch),
  // else the site's default (data-default-language). The catalogs of every offered language
  // (data-catalogs: "nl=/jsi18n/nl/ en=/jsi18n/en/") are in the worker's cache, so the
  // chosen language also shows offline, whatever language the cached shell was made in.
  function language() {
    const catalogs = Object.fromEntries((body.dataset.catalogs || "").trim().split(/\s+/).filter(Boolean).map((x) => x.split("=", 2)));
    const m = document.cookie.match(/(?:^|;\s*)django_language=([^;]+)/);
    const chosen = m ? decodeURIComponent(m[1]) : "";
    const lang = catalogs[chosen] ? chosen : (body.dataset.defaultLanguage || "nl");
    return {lang: lang, url: catalogs[lang]};
  }
  const locale = () => (document.documentElement.lang === "en" ? "en-GB" : "nl-NL");
  function loadCatalog() {
    const {lang, url} = language();
    document.documentElement.lang = lang;
    if (!url) return Promise.resolve();
    return new Promise((resolve) => {
      const script = document.createElement("script");
      script.src = url;
      script.onload = resolve;
      script.onerror = resolve;  // no catalog (not cached yet): the English msgids show
      document.head.append(script);
    });
  }
  function translateShell() {  // the shell's own texts carry their msgid (data-i18n)
    for (const el of document.querySelectorAll("[data-i18n]")) el.textContent = gettext(el.dataset.i18n);
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
    $("sync-now").disabled = !pending.length;  // nothing to send
    $("queue-label").textContent = ngettext("action waiting to be sent", "actions waiting to be sent", pending.length);
    const last = store ? await store.getMeta("last_sync") : null;
    $("last-sync").textContent = last ? moment(last) : gettext("not yet");
    $("queue-list").replaceChildren(...pending.map((e) => h("li", {testid: "queued-action", "data-action": e.action}, actionLine(e))));
    $("refused-list").replaceChildren(...refused.map((e) => h("li", {class: "msg-error", testid: "refused-action"},
      h("strong", {}, actionLine(e) + ": "),
      h("span", {testid: "refused-reason"}, e.reason || gettext("refused")), " ",
      h("button", {type: "button", class: "link", testid: "dismiss-refused", on: {click: async () => {
        await store.remove(e.seq); await drawQueue();
      }}}, gettext("Seen")))));
  }
  // "Tijd registreren · werkbon 9 · 45 min Werktijd": the parts that say something.
  function actionLine(e) {
    return [actionName(e.action), e.work_order ? gettext("work order") + " " + orderNumber(e.work_order) : "", describe(e)]
      .filter(Boolean).join(" · ");
  }
  function orderNumber(id) {
    const o = data && data.orders.concat(local).find((x) => x.id === id);
    return o ? o.number : (id || "—");
  }
  function describe(e) {
    const p = e.payload || {};
    if (e.action.startsWith("time.")) return p.minutes ? p.minutes + " min " + kindName(p.kind) : "";
    if (e.action.startsWith("material.")) return p.quantity ? p.quantity + " × " + itemLabel(p.item_number) : "";
    if (e.action === "workorder.complete") return p.signed_by_name || "";
    if (e.action === "signature.capture") return p.signer_name || "";
    if (e.action === "form.save") return templateName(p.template_id);
    if (e.action === "photo.add") return p.caption || (p.image && p.image.name) || "";
    if (e.action === "workorder.create_on_site") {
      const c = data && (data.customers || []).find((x) => x.number === p.customer_number);
      return c ? c.name : (p.customer_number || "");
    }
    return "";
  }
  function templateName(id) {
    const t = data && data.templates.find((x) => x.id === id);
    return t ? t.name : "";
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
        if (store && $("app-login") === null && (await store.count())) {
          message(gettext("No connection: the actions are kept and sent later."));
          scheduleRetry();
        }
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
          message(gettext("No connection: the actions are kept and sent later."));
          scheduleRetry();
          return;
        }
        if (response.status === 401 || response.status === 403) {
          message(gettext("Log in again to send; the actions are kept."));
          showLogin();
          return;
        }
        if (response.status === 409) {  // another user logged in meanwhile: find out who
          confirmed = false;
          await refresh();
          return;
        }
        if (response.status === 413 && batch.length === 1) {  // never accepted: say so, keep it
          await store.refuse(batch[0].seq, gettext("Too large to send; take the photo again, smaller."));
          continue;
        }
        let answer = null;
        try { answer = response.ok ? await response.json() : null; } catch (err) { answer = null; }
        if (!Array.isArray(answer)) {
          message(interpolate(gettext("The server did not answer properly (%(status)s); trying again later."), {status: response.status}));
          scheduleRetry();
          return;
        }
        for (const result of answer) {
          const entry = batch.find((e) => e.client_id === result.client_id);
          if (!entry) continue;
          if (result.status === "refused") {
            // 404: the order is no longer planned to this technician (re-planned by the office)
            const reason = result.code === 404 && entry.work_order
              ? interpolate(gettext("Work order %(number)s is no longer assigned to you (the office planned it again)."), {number: orderNumber(entry.work_order)})
              : (result.detail || gettext("Refused."));
            await store.refuse(entry.seq, reason);
          }
          else {  // applied, or already applied earlier
            if (entry.action === "workorder.create_on_site") await madeOnServer(entry, result.result);
            await store.remove(entry.seq);
          }
        }
        await store.setMeta("last_sync", new Date().toISOString());
        retryMs = RETRY_MIN_MS;
        if (answer.some((r) => r.action === "workorder.create_on_site")) await draw();
        else await drawQueue();
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

  // A work order made on site is now on the server (result: {id, number, status}): what still
  // waits on it names its id, and a screen showing it stays on it, under the real number.
  async function madeOnServer(entry, result) {
    if (!result || !result.id) return;
    await store.retarget(entry.client_id, result.id);
    const shown = local.find((o) => o.id === entry.client_id);
    if (shown) made.set(entry.client_id, Object.assign({}, shown, {id: result.id, number: result.number || shown.number,
      status: result.status || shown.status, local: false}));
    if (route().order === entry.client_id) history.replaceState(null, "", "#werkbon/" + result.id);
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
    el.replaceChildren(...others.map((o) => h("span", {}, interpolate(ngettext(
      "%(count)s action of %(name)s is still waiting; log in as %(name)s to send it.",
      "%(count)s actions of %(name)s are still waiting; log in as %(name)s to send them.", o.count),
      {count: o.count, name: o.name || gettext("another user")}, true) + " ")));
    el.hidden = !others.length;
  }

  function showLogin() {
    $("app-view").replaceChildren(h("p", {}, gettext("You are not logged in. "),
      h("a", {href: URLS.login, class: "button", testid: "app-login"}, gettext("Log in"))));
  }

  // --- screens ------------------------------------------------------------------------------
  function route() {
    if (location.hash === "#nieuw") return {create: true};
    const m = location.hash.match(/^#werkbon\/([\w-]+)/) || location.pathname.match(/\/mijn\/(\d+)\/?$/);
    return m ? {order: /^\d+$/.test(m[1]) ? Number(m[1]) : m[1]} : {};
  }

  async function draw() {
    await drawQueue();
    $("app-user").textContent = data ? data.user.name : "";
    $("app-logout").hidden = !data;
    if (!data) {
      $("app-view").replaceChildren(h("p", {}, gettext("No data on this device yet.")));
      return;
    }
    local = await localOrders();
    const r = route();
    const moved = made.get(r.order);  // an older address of an order made on site
    if (moved) { history.replaceState(null, "", "#werkbon/" + moved.id); r.order = moved.id; }
    for (const [clientId, o] of made) if (data.orders.some((x) => x.id === o.id)) made.delete(clientId);
    const order = r.order && (data.orders.concat(local).find((o) => o.id === r.order)
      || [...made.values()].find((o) => o.id === r.order));
    if (r.create && can("workorder.create_on_site")) $("app-view").replaceChildren(onSiteScreen());
    else $("app-view").replaceChildren(order ? await orderScreen(order) : listScreen());
  }

  function listScreen() {
    const orders = local.concat(data.orders);
    return h("div", {},
      h("h1", {}, gettext("My work orders")),
      can("workorder.create_on_site") ? h("p", {}, h("a", {href: "#nieuw", class: "button", testid: "app-new-on-site"}, gettext("New work order on site"))) : null,
      h("ul", {class: "cards", testid: "app-orders"}, orders.length ? orders.map((o) => h("li", {},
        h("a", {class: "card tap", href: "#werkbon/" + o.id, testid: "app-open-order-" + o.number},
          h("strong", {}, when(o.planned_start) + " · " + o.number), h("br"),
          o.customer.name || "—", h("br"),
          h("small", {}, o.address.one_line), h("br"),
          h("small", {}, (o.description || "").slice(0, 100))))) : h("li", {}, gettext("Nothing planned for you."))));
  }

  // --- a work order made on site (action workorder.create_on_site) -------------------------
  // It exists only in the queue until it is sent; its id is the client id of that action, and
  // later actions on it carry that client id as their work order (the server resolves it).
  function addressLine(a) {
    return [[a.street, a.house_number].filter(Boolean).join(" "), [a.postal_code, a.city].filter(Boolean).join(" ")].filter(Boolean).join(", ");
  }
  async function localOrders() {
    if (!store || !data) return [];
    return (await store.all()).filter((e) => e.action === "workorder.create_on_site" && e.state === "pending").map((e) => {
      const p = e.payload;
      const customer = (data.customers || []).find((c) => c.number === p.customer_number) || {number: p.customer_number, name: "", addresses: []};
      const address = p.new_address ? {name: p.new_address.name || "", one_line: addressLine(p.new_address)}
        : (customer.addresses.find((a) => a.id === p.work_address_id) || {name: "", one_line: ""});
      return {id: e.client_id, number: gettext("new"), status: "open", local: true, planned_start: e.created_at,
        description: p.description, customer_reference: "", customer: {number: customer.number, name: customer.name, phone: ""},
        address: {name: address.name, one_line: address.one_line}, installations: [], time_entries: [], material_lines: [], forms: []};
    });
  }

  function onSiteScreen() {
    const customers = data.customers || [];
    let customer = null;
    const search = h("input", {type: "search", maxlength: 100, autocomplete: "off", placeholder: gettext("search by number or name"), testid: "app-customer-search"});
    const results = h("ul", {class: "options", testid: "app-customer-results"});
    const chosen = h("p", {testid: "app-customer-chosen"}, gettext("No customer chosen"));
    const address = h("select", {testid: "app-onsite-address"});
    const NEW_FIELDS = [["street", N_("Street"), 255], ["house_number", N_("House number"), 20], ["postal_code", N_("Postal code"), 20], ["city", N_("City"), 100]];
    const newInputs = Object.fromEntries(NEW_FIELDS.map(([name, , max]) => [name, h("input", {type: "text", maxlength: max, testid: "app-new-" + name})]));
    const newBox = h("div", {testid: "app-new-address", hidden: true}, NEW_FIELDS.map(([name, label]) => field(gettext(label), newInputs[name])));
    const description = h("textarea", {rows: 3, maxlength: data.limits.max_description || 4000, testid: "app-onsite-description"});
    const showAddresses = () => {
      address.replaceChildren(...(customer ? customer.addresses : []).map((a) => h("option", {value: a.id}, (a.name ? a.name + ", " : "") + a.one_line)),
        h("option", {value: "new"}, gettext("New work address")));
      newBox.hidden = address.value !== "new";
    };
    address.addEventListener("change", () => { newBox.hidden = address.value !== "new"; });
    search.addEventListener("input", () => {
      const words = search.value.toLowerCase().split(/\s+/).filter(Boolean);
      const hits = [];
      if (words.length) for (const c of customers) {
        const text = (c.number + " " + c.name).toLowerCase();
        if (words.every((w) => text.includes(w))) { hits.push(c); if (hits.length >= 20) break; }
      }
      results.replaceChildren(...hits.map((c) => h("li", {}, h("button", {type: "button", class: "link", testid: "app-customer-option", on: {click: () => {
        customer = c; chosen.textContent = c.number + " " + c.name; results.replaceChildren(); showAddresses();
      }}}, c.number + " " + c.name))));
    });
    showAddresses();
    return h("div", {},
      h("p", {}, h("a", {href: "#", testid: "app-back"}, gettext("← My work orders"))),
      h("h1", {}, gettext("New work order on site")),
      h("form", {class: "stacked", testid: "app-onsite-form", on: {submit: async (ev) => {
        ev.preventDefault();
        if (!customer) { window.alert(gettext("Choose a customer from the list.")); return; }
        const payload = {customer_number: customer.number, description: description.value};
        if (address.value === "new") {
          payload.new_address = Object.fromEntries(NEW_FIELDS.map(([name]) => [name, newInputs[name].value.trim()]));
          if (!payload.new_address.street) { window.alert(gettext("Enter the street of the new work address.")); return; }
        } else payload.work_address_id = Number(address.value);
        const entry = await store.enqueue("workorder.create_on_site", null, payload);
        location.replace("#werkbon/" + entry.client_id);  // draws the new order's screen; back: the list
        if (navigator.onLine) replay();
      }}}, field(gettext("Customer"), search), results, chosen, field(gettext("Work address"), address), newBox,
      field(gettext("Description"), description),
      h("button", {type: "submit", class: "primary big", testid: "app-onsite-create"}, gettext("Make work order"))));
  }

  async function queuedFor(order) {
    return (await store.all()).filter((e) => e.work_order === order.id && e.state === "pending");
  }

  async function orderScreen(order) {
    const queued = await queuedFor(order);
    const completing = queued.some((e) => e.action === "workorder.complete");
    const canChange = (order.status === "open" || order.status === "planned") && !completing;
    const section = (title, ...content) => h("section", {class: "card"}, h("h2", {}, title), ...content);
    const wait = h("small", {class: "pending"}, gettext(" (waiting to be sent)"));

    // time: the server's entries with queued corrections and deletions, then queued additions
    const timeRows = order.time_entries.map((t) => {
      const del = queued.find((e) => e.action === "time.delete" && e.payload.time_entry_id === t.id);
      const cor = queued.filter((e) => e.action === "time.correct" && e.payload.time_entry_id === t.id).pop();
      const shown = cor ? Object.assign({}, t, {kind: cor.payload.kind, minutes: cor.payload.minutes, date: cor.payload.date}) : t;
      return h("li", {testid: "time-row"}, day(shown.date) + " · " + kindName(shown.kind) + " · " + shown.minutes + " min · " + t.technician,
        del ? h("small", {class: "pending"}, gettext(" (deletion waiting to be sent)")) : (cor ? wait.cloneNode(true) : null),
        canChange && t.own && !del ? [" ", h("button", {type: "button", class: "link", testid: "time-correct", on: {click: () => correctTime(order, t, shown)}}, gettext("Correct")),
          " ", h("button", {type: "button", class: "link", testid: "time-delete", on: {click: () => queue("time.delete", order, {time_entry_id: t.id}, gettext("Delete time?"))}}, gettext("Delete"))] : null);
    }).concat(queued.filter((e) => e.action === "time.add").map((e) => h("li", {testid: "time-row"},
      day(e.payload.date) + " · " + kindName(e.payload.kind) + " · " + e.payload.minutes + " min", wait.cloneNode(true),
      canChange ? [" ", h("button", {type: "button", class: "link", testid: "queued-time-correct", on: {click: () => correctQueued(e, "minutes")}}, gettext("Correct")),
        " ", h("button", {type: "button", class: "link", testid: "queued-withdraw", on: {click: () => withdraw(e)}}, gettext("Delete"))] : null)));

    const materialRows = order.material_lines.map((m) => {
      const del = queued.find((e) => e.action === "material.delete" && e.payload.material_line_id === m.id);
      const cor = queued.filter((e) => e.action === "material.correct" && e.payload.material_line_id === m.id).pop();
      return h("li", {testid: "material-row"}, (cor ? cor.payload.quantity : m.quantity) + " " + m.unit + " · " + m.item_number + " " + m.description + (m.note ? " · " + m.note : ""),
        del ? h("small", {class: "pending"}, gettext(" (deletion waiting to be sent)")) : (cor ? wait.cloneNode(true) : null),
        canChange && m.own && !del ? [" ", h("button", {type: "button", class: "link", testid: "material-correct", on: {click: () => correctMaterial(order, m)}}, gettext("Correct")),
          " ", h("button", {type: "button", class: "link", testid: "material-delete",
          on: {click: () => queue("material.delete", order, {material_line_id: m.id}, gettext("Delete material?"))}}, gettext("Delete"))] : null);
    }).concat(queued.filter((e) => e.action === "material.add").map((e) => h("li", {testid: "material-row"},
      e.payload.quantity + " × " + itemLabel(e.payload.item_number), wait.cloneNode(true),
      canChange ? [" ", h("button", {type: "button", class: "link", testid: "queued-material-correct", on: {click: () => correctQueued(e, "quantity")}}, gettext("Correct")),
        " ", h("button", {type: "button", class: "link", testid: "queued-withdraw", on: {click: () => withdraw(e)}}, gettext("Delete"))] : null)));

    const formsDone = order.forms.map((f) => h("li", {}, f.name))
      .concat(queued.filter((e) => e.action === "form.save").map((e) => h("li", {testid: "form-row"},
        templateName(e.payload.template_id), wait.cloneNode(true))));
    const photos = queued.filter((e) => e.action === "photo.add").map((e) => h("li", {testid: "photo-row"}, (e.payload.image && e.payload.image.name) || gettext("photo"), wait.cloneNode(true)));

    return h("div", {},
      h("p", {}, h("a", {href: "#", testid: "app-back"}, gettext("← My work orders"))),
      h("h1", {testid: "app-order-title"}, gettext("Work order") + " " + order.number),
      order.local ? h("p", {class: "notice", testid: "app-onsite-waiting"}, gettext("This new work order is waiting to be sent."), " ",
        h("button", {type: "button", class: "link", testid: "app-onsite-withdraw", on: {click: () => withdrawLocalOrder(order)}}, gettext("Delete work order"))) : null,
      completing ? h("p", {class: "notice", testid: "app-completed"}, gettext("Reported as done (waiting to be sent).")) : null,
      section(gettext("Customer and address"),
        h("p", {}, h("strong", {}, order.customer.name || "—"), " (" + (order.customer.number || "") + ")"),
        h("p", {}, order.address.name ? order.address.name + ", " : "", order.address.one_line),
        order.customer.phone ? h("p", {}, gettext("Phone:") + " ", h("a", {href: "tel:" + order.customer.phone}, order.customer.phone)) : null,
        order.customer_reference ? h("p", {}, gettext("Customer reference:") + " " + order.customer_reference) : null,
        h("p", {class: "prewrap", testid: "app-description"}, order.description || "")),
      section(gettext("Installations"), order.installations.length ? h("ul", {testid: "installations"}, order.installations.map((i) => h("li", {},
        i.name + [i.brand, i.model].filter(Boolean).map((x) => " · " + x).join("") + (i.serial_number ? " · " + gettext("serial number") + " " + i.serial_number : ""),
        h("br"), h("small", {}, i.history.length ? i.history.map((x) => day(x.date) + " " + x.text).join("; ") : gettext("no history"))))) : h("p", {}, gettext("No installations known."))),
      section(gettext("Time"), h("ul", {class: "rows", testid: "time-rows"}, timeRows), canChange ? timeForm(order) : null),
      section(gettext("Material"), h("ul", {class: "rows", testid: "material-rows"}, materialRows), canChange ? materialForm(order) : null),
      section(gettext("Forms"), h("ul", {class: "rows"}, formsDone), canChange ? formChooser(order) : null),
      can("photo.add") ? section(gettext("Photos"), h("ul", {class: "rows"}, photos), canChange ? photoForm(order) : null) : null,
      canChange ? section(gettext("Report completed"), completeForm(order)) : null);
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
    const kind = h("select", {name: "kind", testid: "app-time-kind"}, Object.entries(KINDS).map(([v, l]) => h("option", {value: v}, gettext(l))));
    const minutes = h("input", {type: "number", name: "minutes", min: 1, max: data.limits.max_minutes, step: 1, inputmode: "numeric", required: true, testid: "app-time-minutes"});
    const date = h("input", {type: "date", name: "date", value: today(), max: today(), required: true, testid: "app-time-date"});
    return h("form", {class: "stacked", testid: "app-time-form", on: {submit: async (ev) => {
      ev.preventDefault();
      await queue("time.add", order, {kind: kind.value, minutes: Number(minutes.value), date: date.value});
    }}}, field(gettext("Kind"), kind), field(gettext("Minutes"), minutes), field(gettext("Date"), date),
    h("button", {type: "submit", class: "primary big", testid: "app-add-time"}, gettext("Add time")));
  }

  async function correctTime(order, entry, shown) {
    const value = window.prompt(gettext("Minutes") + " (" + kindName(shown.kind) + ", " + day(shown.date) + ")", String(shown.minutes));
    if (value === null) return;
    const minutes = Number(value);
    if (!Number.isInteger(minutes) || minutes < 1 || minutes > data.limits.max_minutes) {
      window.alert(interpolate(gettext("Enter a whole number of minutes, from 1 to %(max)s."), {max: data.limits.max_minutes}));
      return;
    }
    await queue("time.correct", order, {time_entry_id: entry.id, kind: shown.kind, minutes: minutes, date: shown.date});
  }

  // What waits in the queue was never sent: correcting or withdrawing it changes the queue
  // itself (not while a replay runs, which may be sending it right now).
  function busy() {
    if (!syncing) return false;
    window.alert(gettext("Please wait: the queue is being sent now."));
    return true;
  }
  async function withdraw(entry) {
    if (busy() || !window.confirm(gettext("Do not send this action?"))) return;
    await store.remove(entry.seq);
    await draw();
  }
  async function withdrawLocalOrder(order) {
    if (busy() || !window.confirm(gettext("Delete this new work order and all that was registered on it? None of it has been sent."))) return;
    if (!(await store.removeLocalOrder(order.id))) window.alert(gettext("This work order has already been sent."));
    location.hash = "#";
    await draw();
  }
  async function correctQueued(entry, key) {
    if (busy()) return;
    const value = window.prompt(key === "minutes" ? gettext("Minutes") : gettext("Quantity"), String(entry.payload[key]));
    if (value === null) return;
    const payload = Object.assign({}, entry.payload);
    if (key === "minutes") {
      const minutes = Number(value);
      if (!Number.isInteger(minutes) || minutes < 1 || minutes > data.limits.max_minutes) {
        window.alert(interpolate(gettext("Enter a whole number of minutes, from 1 to %(max)s."), {max: data.limits.max_minutes}));
        return;
      }
      payload.minutes = minutes;
    } else {
      const q = quantityOf(value);
      if (!q) return;
      payload.quantity = q;
    }
    if (!(await store.update(entry.seq, payload))) window.alert(gettext("This action has already been sent."));
    await draw();
  }
  function quantityOf(value) {
    const q = String(value).trim().replace(",", ".");
    if (!/^\d{1,9}(\.\d{1,3})?$/.test(q) || Number(q) <= 0) { window.alert(gettext("Enter a quantity, such as 1 or 2.5.")); return null; }
    return q;
  }
  async function correctMaterial(order, line) {
    const value = window.prompt(gettext("Quantity") + " (" + line.item_number + " " + line.description + ")", line.quantity.replace(/\.?0+$/, ""));
    if (value === null) return;
    const q = quantityOf(value);
    if (!q) return;
    await queue("material.correct", order, {material_line_id: line.id, item_number: line.item_number, quantity: q, note: line.note});
  }

  function materialForm(order) {
    const search = h("input", {type: "search", placeholder: gettext("search by number or description"), maxlength: 100, testid: "app-item-search", autocomplete: "off"});
    const results = h("ul", {class: "options", testid: "app-item-results"});
    const chosen = h("input", {type: "hidden", name: "item"});
    const label = h("p", {testid: "app-item-chosen"}, gettext("No item chosen"));
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
      if (!chosen.value) { window.alert(gettext("Choose an item from the list.")); return; }
      const q = quantity.value.trim().replace(",", ".");
      if (!/^\d{1,9}(\.\d{1,3})?$/.test(q) || Number(q) <= 0) { window.alert(gettext("Enter a quantity, such as 1 or 2.5.")); return; }
      await queue("material.add", order, {item_number: chosen.value, quantity: q, note: note.value});
    }}}, field(gettext("Search item"), search), results, label, chosen, field(gettext("Quantity"), quantity), field(gettext("Note"), note),
    h("button", {type: "submit", class: "primary big", testid: "app-add-material"}, gettext("Add material")));
  }

  function formChooser(order) {
    const holder = h("div", {});
    const select = h("select", {testid: "app-form-template"}, h("option", {value: ""}, gettext("— choose a form —")),
      data.templates.map((t) => h("option", {value: t.id}, t.name)));
    select.addEventListener("change", () => {
      const template = data.templates.find((t) => String(t.id) === select.value);
      holder.replaceChildren(template ? formFill(order, template) : "");
    });
    return h("div", {}, field(gettext("Fill in a form"), select), holder);
  }

  function formFill(order, template) {
    const inputs = template.questions.map((q) => {
      let input;
      if (q.kind === "yes_no") {
        // "Ja"/"Nee" radio buttons as on the website; "—" (no answer) only when not required
        const options = (q.required ? [] : [["", "—"]]).concat([["yes", gettext("Yes")], ["no", gettext("No")]]);
        const radios = options.map(([value]) => h("input", {type: "radio", name: "question-" + q.id, value: value, required: q.required}));
        const group = h("fieldset", {class: "field radios", testid: "app-question-" + q.id},
          h("legend", {}, q.label + (q.required ? " *" : "")),
          options.map(([, label], i) => h("label", {}, radios[i], " " + label)));
        return {q: q, node: group, read: () => (radios.find((r) => r.checked) || {value: ""}).value};
      }
      else if (q.kind === "choice") input = h("select", {}, h("option", {value: ""}, "—"), q.choices.map((c) => h("option", {value: c}, c)));
      else if (q.kind === "photo") input = can("form.photos") ? h("input", {type: "file", accept: "image/*", capture: "environment"}) : h("input", {type: "text", disabled: true, value: gettext("photo: add it online")});
      else if (q.kind === "number") input = h("input", {type: "text", inputmode: "decimal"});
      else input = h("textarea", {maxlength: data.limits.max_answer, rows: 3});
      input.dataset.testid = "app-question-" + q.id;
      if (q.required) input.required = true;
      return {q: q, input: input, node: field(q.label + (q.required ? " *" : ""), input), read: () => input.value};
    });
    return h("form", {class: "stacked", testid: "app-form-fill", on: {submit: async (ev) => {
      ev.preventDefault();
      const answers = [], photos = [];
      for (const {q, input, read} of inputs) {
        if (q.kind === "photo") {
          const file = input.files && input.files[0];
          if (file) {
            if (file.size > data.limits.max_photo_bytes) { window.alert(gettext("The photo is too large.")); return; }
            photos.push({question_id: q.id, image: await shrink(file)});
          }
        } else answers.push({question_id: q.id, value: read()});
      }
      const payload = {template_id: template.id, answers: answers};
      if (photos.length) payload.photos = photos;
      await queue("form.save", order, payload);
    }}}, inputs.map(({node}) => node),
    h("button", {type: "submit", class: "primary big", testid: "app-save-form"}, gettext("Save form")));
  }

  function photoForm(order) {
    const input = h("input", {type: "file", accept: "image/*", capture: "environment", required: true, testid: "app-photo-file"});
    const caption = h("input", {type: "text", maxlength: 200, testid: "app-photo-caption"});
    return h("form", {class: "stacked", testid: "app-photo-form", on: {submit: async (ev) => {
      ev.preventDefault();
      const file = input.files && input.files[0];
      if (!file) return;
      if (file.size > data.limits.max_photo_bytes) { window.alert(gettext("The photo is too large.")); return; }
      await queue("photo.add", order, {image: await shrink(file), caption: caption.value});
    }}}, field(gettext("Photo for the work order"), input), field(gettext("Caption"), caption), h("button", {type: "submit", class: "primary big", testid: "app-add-photo"}, gettext("Add photo")));
  }

  function completeForm(order) {
    const name = h("input", {type: "text", maxlength: data.limits.max_signed_by, placeholder: gettext("name of the customer"), testid: "app-signed-by"});
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
    const clear = h("button", {type: "button", class: "link", on: {click: () => { ctx.clearRect(0, 0, canvas.width, canvas.height); drawn = false; }}}, gettext("Clear"));
    // Where the signed work order is e-mailed, when the company does that (the web page asks too).
    const email = data.customer_mail ? h("input", {type: "email", maxlength: data.limits.max_email, autocomplete: "off", value: (order.customer && order.customer.email) || "", testid: "app-customer-email"}) : null;
    return h("form", {class: "stacked", testid: "app-complete-form", on: {submit: async (ev) => {
      ev.preventDefault();
      if (!window.confirm(gettext("Report this work order as done?"))) return;
      if (drawn && can("signature.capture")) {
        const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/png"));
        await store.enqueue("signature.capture", order.id, {signer_name: name.value, image: new File([blob], "handtekening.png", {type: "image/png"})});
      }
      const payload = {signed_by_name: name.value};
      if (email) payload.customer_email = email.value.trim();
      await queue("workorder.complete", order, payload);
    }}}, field(gettext("Signed by"), name), email ? field(gettext("E-mail work order to"), email) : null,
    can("signature.capture") ? [h("p", {}, gettext("Signature of the customer")), canvas, clear] : null,
    h("button", {type: "submit", class: "primary big", testid: "app-complete"}, gettext("Report completed")));
  }

  // --- log out, service worker --------------------------------------------------------------
  async function logOut() {
    const waiting = store ? await store.count() : 0;
    const what = interpolate(ngettext("%(count)s action is still waiting to be sent.", "%(count)s actions are still waiting to be sent.", waiting), {count: waiting});
    if (waiting && !window.confirm(what + " " + gettext("They are only sent when you log in again on this device. Log out anyway?"))) return;
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
      message(gettext("Working offline is not available on this device."));
    }
  }

  function netState() {
    $("net-state").textContent = navigator.onLine ? "online" : "offline";
    body.dataset.online = navigator.onLine ? "true" : "false";
  }

  async function start() {
    await loadCatalog();
    translateShell();
    $("sync-now").addEventListener("click", () => {
      if (!navigator.onLine) { message(gettext("No connection: the actions are sent as soon as there is a connection again.")); return; }
      retryMs = RETRY_MIN_MS; replay();
    });
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
