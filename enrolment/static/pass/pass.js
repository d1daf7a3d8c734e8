// The commuter's phone pass (enrolment/passes.py says how it works).
// The code key lives in this browser only, as a non-extractable WebCrypto key kept in IndexedDB;
// the code shown is the one credentials.dynamic_qr_text makes on the server side of the design.
"use strict";

(function () {
  const DOMAIN = "hetao-credential-v1";
  const STEP_SECONDS = 30;
  const CODE_BYTES = 8;
  const STATUS_EVERY_MS = 60000;
  const B45 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";
  const DB_NAME = "hetao-pass";
  const STORE = "pass";
  const LANGUAGE_KEY = "hetao-pass-language";
  const encoder = new TextEncoder();
  const texts = JSON.parse(document.body.dataset.texts);
  let language = chooseLanguage();
  let shown = null; // the pass on the screen
  let codeTimer = null;
  let learnedOffset = null; // the server's clock minus this phone's, from the last answer

  // The code follows the server's clock: a phone whose clock is wrong (by minutes, as many are)
  // would otherwise show codes a kiosk refuses as too old. The offset is learned from each
  // answer's Date header and kept with the pass for when there is no network.
  function now() {
    return Date.now() + ((shown && shown.offset) || 0);
  }

  function learnOffset(response, sentAt, receivedAt) {
    const server = Date.parse(response.headers.get("Date") || "");
    if (Number.isNaN(server)) return;
    // The header counts whole seconds: the server's clock was within the second after it.
    const offset = server + 500 - (sentAt + receivedAt) / 2;
    learnedOffset = Math.abs(offset) > 3000 ? Math.round(offset) : 0;
  }

  // ---- language -------------------------------------------------------------------------
  function chooseLanguage() {
    const saved = localStorage.getItem(LANGUAGE_KEY);
    if (saved && texts[saved]) return saved;
    for (const tag of navigator.languages || [navigator.language || "en"]) {
      const t = tag.toLowerCase();
      if (t.startsWith("zh")) return t.includes("hant") || /-(hk|tw|mo)\b/.test(t) ? "zh-Hant" : "zh-Hans";
      if (t.startsWith("en")) return "en";
    }
    return document.body.dataset.language || "en";
  }

  function t(key, values) {
    let text = texts[language][key] || texts.en[key] || key;
    for (const [name, value] of Object.entries(values || {})) text = text.replace("{" + name + "}", value);
    return text;
  }

  function applyLanguage() {
    document.documentElement.lang = { en: "en", "zh-Hant": "zh-Hant-HK", "zh-Hans": "zh-Hans-CN" }[language];
    document.title = t("title");
    for (const el of document.querySelectorAll("[data-t]")) el.textContent = t(el.dataset.t);
    for (const button of document.querySelectorAll("button.language")) {
      button.setAttribute("aria-pressed", String(button.dataset.language === language));
    }
    if (shown) showPass(shown);
  }

  // Times as the server's pages write them: 2026-11-23 15:25 UTC+8, whatever the phone's zone.
  function localTime(iso) {
    const shifted = new Date(new Date(iso).getTime() + 8 * 3600 * 1000).toISOString();
    return shifted.slice(0, 10) + " " + shifted.slice(11, 16) + " UTC+8";
  }

  // ---- bytes ----------------------------------------------------------------------------
  function base45Decode(text) {
    const out = [];
    for (let i = 0; i < text.length; i += 3) {
      const chunk = text.slice(i, i + 3);
      let n = 0;
      for (let k = chunk.length - 1; k >= 0; k--) n = n * 45 + B45.indexOf(chunk[k]);
      if (chunk.length === 3) out.push(n >> 8, n & 0xff); else out.push(n);
    }
    return new Uint8Array(out);
  }

  function base45Encode(bytes) {
    let out = "";
    for (let i = 0; i + 1 < bytes.length; i += 2) {
      let n = bytes[i] * 256 + bytes[i + 1];
      const c = n % 45; n = (n - c) / 45;
      const d = n % 45; const e = (n - d) / 45;
      out += B45[c] + B45[d] + B45[e];
    }
    if (bytes.length % 2) {
      const last = bytes[bytes.length - 1];
      out += B45[last % 45] + B45[Math.floor(last / 45)];
    }
    return out;
  }

  function uuidBytes(id) {
    const hex = id.replace(/-/g, "");
    return new Uint8Array(hex.match(/../g).map((h) => parseInt(h, 16)));
  }

  function uuidFromHex(hex) {
    return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20)].join("-");
  }

  function concat(...parts) {
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) { out.set(p, at); at += p.length; }
    return out;
  }

  function bigEndian(value, size) {
    const out = new Uint8Array(size);
    for (let i = size - 1; i >= 0; i--) { out[i] = value % 256; value = Math.floor(value / 256); }
    return out;
  }

  function base64(bytes) {
    return btoa(String.fromCharCode(...bytes));
  }

  // ---- the pass in IndexedDB ------------------------------------------------------------
  function database() {
    return new Promise((resolve, reject) => {
      const request = indexedDB.open(DB_NAME, 1);
      request.onupgradeneeded = () => request.result.createObjectStore(STORE);
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  }

  async function stored(action, value) {
    const db = await database();
    return new Promise((resolve, reject) => {
      const tx = db.transaction(STORE, action === "get" ? "readonly" : "readwrite");
      const store = tx.objectStore(STORE);
      const request = action === "get" ? store.get("current")
        : action === "delete" ? store.delete("current") : store.put(value, "current");
      tx.oncomplete = () => { db.close(); resolve(request.result); };
      tx.onerror = () => { db.close(); reject(tx.error); };
    });
  }

  // ---- the code -------------------------------------------------------------------------
  async function hmac(key, message) {
    return new Uint8Array(await crypto.subtle.sign("HMAC", key, message));
  }

  async function currentCode(pass, at) {
    const step = Math.floor(at / 1000 / STEP_SECONDS);
    const message = concat(encoder.encode(DOMAIN + "/dynamic"), uuidBytes(pass.id), bigEndian(step, 4));
    const code = (await hmac(pass.key, message)).slice(0, CODE_BYTES);
    const payload = base45Decode(pass.payload.slice(4)); // after "HC1:"
    return { text: "HD1:" + base45Encode(concat(payload, bigEndian(step, 4), code)), step };
  }

  async function proof(pass, purpose) {
    const at = Math.floor(now() / 1000);
    const message = concat(
      encoder.encode(DOMAIN + "/pass"), uuidBytes(pass.id), encoder.encode(purpose + "|"), bigEndian(at, 8)
    );
    // The proof key, never the code key: kiosks hold the code key, only this phone the proof key.
    return { credential_id: pass.id, time: at, proof: base64(await hmac(pass.proofKey, message)) };
  }

  function drawCode(text) {
    const qr = qrcode(0, "M");
    qr.addData(text, "Alphanumeric");
    qr.make();
    const modules = qr.getModuleCount();
    const quiet = 4;
    const canvas = document.getElementById("code");
    const cell = Math.max(4, Math.floor(Math.min(560, canvas.parentElement.clientWidth || 320) / (modules + 2 * quiet)));
    const size = cell * (modules + 2 * quiet);
    canvas.width = size;
    canvas.height = size;
    const g = canvas.getContext("2d");
    g.fillStyle = "#ffffff";
    g.fillRect(0, 0, size, size);
    g.fillStyle = "#000000";
    for (let r = 0; r < modules; r++) {
      for (let c = 0; c < modules; c++) {
        if (qr.isDark(r, c)) g.fillRect((c + quiet) * cell, (r + quiet) * cell, cell, cell);
      }
    }
    canvas.dataset.code = text;
    canvas.setAttribute("aria-label", t("show_code"));
  }

  async function tick() {
    clearTimeout(codeTimer);
    if (!shown || ended(shown)) return;
    const at = now();
    const { text } = await currentCode(shown, at);
    drawCode(text);
    const intoStep = (at / 1000) % STEP_SECONDS;
    document.getElementById("bar").style.width = (100 * (1 - intoStep / STEP_SECONDS)).toFixed(1) + "%";
    codeTimer = setTimeout(tick, 1000 - (at % 1000) + 5);
  }

  // ---- what the page shows --------------------------------------------------------------
  function only(id) {
    for (const section of ["activating", "problem", "empty", "pass", "ended", "mine"]) {
      document.getElementById(section).hidden = section !== id && !(id === "pass" && section === "mine");
    }
  }

  function ended(pass) {
    const status = pass.status;
    if (status && status.state === "revoked") return "revoked";
    if ((status && status.state === "expired") || new Date(pass.expires_at).getTime() <= now()) return "expired";
    return null;
  }

  function showPass(pass) {
    shown = pass;
    const why = ended(pass);
    if (why) {
      clearTimeout(codeTimer);
      only("ended");
      document.getElementById("ended-title").textContent = t(why + "_title");
      const when = why === "revoked" ? pass.status.revoked_at : pass.expires_at;
      document.getElementById("ended-text").textContent = t(why, { time: localTime(when) });
      document.getElementById("mine").hidden = true;
      return;
    }
    only("pass");
    const names = [pass.chinese_name, pass.full_name].filter(Boolean).join(" · ");
    document.getElementById("holder").textContent = names;
    document.getElementById("organisation").textContent = pass.organisation || "";
    const until = new Date(pass.expires_at) < new Date(pass.valid_until + "T23:59:59+08:00")
      ? pass.expires_at : pass.valid_until + "T23:59:59+08:00";
    document.getElementById("validity").textContent = t("valid_until", { date: localTime(until) });
    const status = pass.status;
    const connection = document.getElementById("connection");
    const online = navigator.onLine && status && pass.statusFresh;
    if (online) connection.textContent = t("online", { time: localTime(status.checked_at) });
    else connection.textContent = status ? t("offline", { time: localTime(status.checked_at) }) : t("never_checked");
    connection.className = online ? "muted" : "offline";
    const list = document.getElementById("crossings");
    list.replaceChildren();
    const crossings = (status && status.crossings) || [];
    if (!crossings.length) {
      const item = document.createElement("li");
      item.textContent = t("no_crossings");
      list.append(item);
    }
    for (const c of crossings) {
      const item = document.createElement("li");
      item.textContent = `${localTime(c.at)} · ${c.checkpoint} · ${t(c.direction)} · ${t(c.decision)}`;
      list.append(item);
    }
    tick();
  }

  function showProblem(key, retry) {
    only("problem");
    document.getElementById("problem-text").textContent = t(key);
    const button = document.getElementById("retry");
    button.hidden = !retry;
    button.onclick = retry || null;
  }

  async function post(path, body) {
    const sentAt = Date.now();
    const response = await fetch(path, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
      cache: "no-store",
    });
    learnOffset(response, sentAt, Date.now());
    return response;
  }

  // ---- activation -----------------------------------------------------------------------
  async function activate(fragment) {
    const [hex, token] = fragment.split(".");
    // The token leaves the address bar and the history at once: the link works once anyway.
    history.replaceState(null, "", location.pathname);
    if (!/^[0-9a-f]{32}$/.test(hex || "") || !token) return showProblem("not_found");
    // Two keys, made here and never exportable: the code key (kiosks get it, to check codes
    // offline) and the proof key (only the server gets it: it proves this phone's requests).
    const raw = crypto.getRandomValues(new Uint8Array(32));
    const rawProof = crypto.getRandomValues(new Uint8Array(32));
    const hmacKey = (bytes) => crypto.subtle.importKey("raw", bytes, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    const key = await hmacKey(raw);
    const proofKey = await hmacKey(rawProof);
    const attempt = async () => {
      only("activating");
      let response;
      try {
        response = await post("/api/v1/pass/activate", {
          credential_id: uuidFromHex(hex), token, key: base64(raw), proof_key: base64(rawProof),
        });
      } catch (error) {
        return showProblem("offline_activation", attempt);
      }
      const body = await response.json().catch(() => ({}));
      if (!response.ok) {
        const why = { used: "used", link_expired: "link_expired", revoked: "revoked_link", expired: "expired_link" };
        return showProblem(why[body.why] || "not_found");
      }
      raw.fill(0);
      rawProof.fill(0);
      const pass = {
        id: body.credential_id, payload: body.payload, key, proofKey, full_name: body.full_name,
        chinese_name: body.chinese_name, organisation: body.organisation,
        expires_at: body.expires_at, valid_until: body.valid_until, status: null,
        offset: learnedOffset || 0,
      };
      await stored("put", pass);
      // Ask the browser to keep this storage when it runs short of space: the pass's keys cannot
      // be exported, so storage cleared means a trip to the desk.
      if (navigator.storage && navigator.storage.persist) navigator.storage.persist().catch(() => {});
      showPass(pass);
      refreshStatus(pass);
    };
    await attempt();
  }

  // ---- status and the personal data -----------------------------------------------------
  async function refreshStatus(pass, retried) {
    if (!pass || pass !== shown) return;
    try {
      const response = await post("/api/v1/pass/status", await proof(pass, "status"));
      const body = await response.json();
      if (learnedOffset !== null) pass.offset = learnedOffset;
      if (body.why === "clock" && !retried) return refreshStatus(pass, true);
      if (response.ok && body.state === "revoked") {
        // Revoked: nothing of the pass stays on this phone (names, organisation, both keys); the
        // page says so until it is closed.
        await stored("delete");
        const gone = { id: pass.id, status: { state: "revoked", revoked_at: body.revoked_at } };
        shown = gone;
        showPass(gone);
        return;
      }
      if (response.ok) {
        pass.status = body;
        pass.expires_at = body.expires_at;
        pass.valid_until = body.valid_until;
        pass.statusFresh = true;
        await stored("put", pass);
      } else if (response.status === 404 && !pass.proofKey) {
        // A pass set up before phones proved their requests with a key of their own: it cannot
        // prove anything now; the desk gives a new one.
        document.getElementById("connection").textContent = t("reissue");
        return;
      } else if (body.why === "clock") {
        document.getElementById("connection").textContent = t("clock");
        return;
      }
    } catch (error) {
      pass.statusFresh = false;
    }
    if (pass === shown) showPass(pass);
  }

  // The data as a page to read (in the pass's language), or as JSON for a machine.
  async function download(format) {
    const status = document.getElementById("download-status");
    status.textContent = "";
    try {
      const query = `?format=${format}&lang=${encodeURIComponent(language)}`;
      const response = await post(`/api/v1/pass/data${query}`, await proof(shown, "data"));
      if (!response.ok) throw new Error(String(response.status));
      const url = URL.createObjectURL(await response.blob());
      const link = document.createElement("a");
      link.href = url;
      link.download = `hetao-my-data.${format}`;
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
      status.textContent = t("downloaded");
    } catch (error) {
      status.textContent = t("download_failed");
    }
  }

  // ---- start ----------------------------------------------------------------------------
  async function start() {
    for (const button of document.querySelectorAll("button.language")) {
      button.addEventListener("click", () => {
        language = button.dataset.language;
        localStorage.setItem(LANGUAGE_KEY, language);
        applyLanguage();
      });
    }
    applyLanguage();
    document.getElementById("download").addEventListener("click", () => download("html"));
    document.getElementById("download-json").addEventListener("click", () => download("json"));
    document.getElementById("fullscreen").addEventListener("click", () => {
      const box = document.getElementById("code-box");
      if (box.requestFullscreen) box.requestFullscreen().catch(() => {});
      if (navigator.wakeLock) navigator.wakeLock.request("screen").catch(() => {});
    });
    if ("serviceWorker" in navigator) navigator.serviceWorker.register("/pass/sw.js", { scope: "/pass/" }).catch(() => {});
    if (!window.crypto || !crypto.subtle || !window.indexedDB) return showProblem("unsupported");
    setInterval(() => refreshStatus(shown), STATUS_EVERY_MS);
    window.addEventListener("online", () => refreshStatus(shown));
    window.addEventListener("offline", () => { if (shown) { shown.statusFresh = false; showPass(shown); } });
    document.addEventListener("visibilitychange", () => { if (!document.hidden) refreshStatus(shown); });
    const fragment = location.hash.slice(1);
    if (fragment) return activate(fragment);
    const pass = await stored("get");
    if (!pass) return only("empty");
    pass.statusFresh = false;
    showPass(pass);
    refreshStatus(pass);
  }

  start();
})();
