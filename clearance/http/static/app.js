// Hetao Clearance: the little script the pages need. No library, nothing loaded from elsewhere.
"use strict";

const csrf = () => document.body.dataset.csrf || "";

// --- Live view: server-sent events, reconnecting by itself -------------------------------
function startLiveView(table) {
  const body = table.tBodies[0];
  const state = document.getElementById("live-state");
  const frame = document.getElementById("stats-frame");
  const maxRows = 200;
  let source = null;
  let statsTimer = null;

  const setState = (connected) => {
    if (!state) return;
    state.textContent = connected ? state.dataset.connected : state.dataset.connecting;
    state.classList.toggle("up", connected);
  };

  const refreshStats = () => {
    if (!frame) return;
    fetch(frame.dataset.src, { headers: { Accept: "text/html" }, redirect: "manual" })
      .then((r) => (r.ok ? r.text() : Promise.reject(r)))
      .then((html) => { frame.innerHTML = html; })
      .catch(() => {});
  };
  const refreshStatsSoon = () => {
    if (statsTimer) return;
    statsTimer = setTimeout(() => { statsTimer = null; refreshStats(); }, 1500);
  };
  setInterval(refreshStats, 30000);

  const showCrossing = (html, id) => {
    const template = document.createElement("template");
    template.innerHTML = html.trim();
    const row = template.content.firstElementChild;
    const existing = document.getElementById("crossing-" + id);
    if (existing) {
      existing.replaceWith(row);
    } else {
      body.insertBefore(row, body.firstChild);
      while (body.rows.length > maxRows) body.deleteRow(body.rows.length - 1);
    }
    row.classList.add("new");
    const empty = document.getElementById("live-empty");
    if (empty) empty.remove();
  };

  const showAlert = (text) => {
    let list = document.getElementById("live-alerts");
    if (!list) {
      list = document.createElement("ul");
      list.id = "live-alerts";
      list.className = "live-alerts";
      table.parentElement.insertBefore(list, table);
    }
    const item = document.createElement("li");
    const link = document.createElement("a");
    link.href = "/queue";
    link.textContent = text;
    item.appendChild(link);
    list.insertBefore(item, list.firstChild);
  };

  const connect = () => {
    source = new EventSource(table.dataset.events);
    source.onopen = () => setState(true);
    source.onmessage = (message) => {
      const event = JSON.parse(message.data);
      if (event.type === "crossing") showCrossing(event.html, event.id);
      if (event.type === "alert") showAlert(event.text);
      refreshStatsSoon();
    };
    source.onerror = () => {
      setState(false);
      // The browser retries a dropped stream by itself; it gives up only when the answer is
      // not a stream (a server error, or a sign-in page after the session ended).
      if (source.readyState === EventSource.CLOSED) setTimeout(recover, 2000);
    };
  };

  const recover = () => {
    fetch(frame ? frame.dataset.src : "/dashboard/stats", { redirect: "manual" })
      .then((r) => {
        if (r.type === "opaqueredirect" || r.status === 401) {
          window.location.href = "/login?next=" + encodeURIComponent(window.location.pathname);
        } else if (r.ok) {
          connect();
          refreshStats();
        } else {
          setTimeout(recover, 2000);
        }
      })
      .catch(() => setTimeout(recover, 2000));
  };

  connect();
}

// --- Registration: check the photo the moment it is chosen -----------------------------
// Each photo input says, beside it, whether its photo passes (the second photo too).
function checkWhenChosen(input, result, preview) {
  const show = (answer) => {
    result.classList.toggle("ok", answer.ok);
    result.classList.toggle("failed", !answer.ok);
    result.replaceChildren();
    const title = document.createElement("strong");
    title.textContent = answer.title;
    result.appendChild(title);
    for (const [key, tag] of [["detail", "span"], ["advice", "em"]]) {
      if (!answer[key]) continue;
      const part = document.createElement(tag);
      part.textContent = " " + answer[key];
      result.appendChild(part);
    }
  };

  input.addEventListener("change", () => {
    const file = input.files[0];
    if (!file) return;
    preview.src = URL.createObjectURL(file);
    preview.hidden = false;
    result.className = "photo-result";
    result.textContent = result.dataset.checking;
    const form = new FormData();
    form.append("photo", file);
    fetch(input.dataset.check, { method: "POST", body: form, headers: { "X-CSRF-Token": csrf() } })
      .then((r) => r.json())
      .then(show)
      .catch(() => { result.textContent = ""; });
  });
}

function startPhotoCheck(input) {
  const video = document.getElementById("camera");
  const start = document.getElementById("camera-start");
  const take = document.getElementById("camera-take");
  checkWhenChosen(input, document.getElementById("photo-result"), document.getElementById("preview"));
  const second = document.getElementById("photo-2");
  if (second && second.dataset.check) {
    checkWhenChosen(second, document.getElementById("photo-2-result"), document.getElementById("preview-2"));
  }

  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    start.hidden = true;
    return;
  }
  start.addEventListener("click", () => {
    navigator.mediaDevices.getUserMedia({ video: { width: 1280, height: 960 } }).then((stream) => {
      video.srcObject = stream;
      video.hidden = false;
      // Offer the shutter only once the camera delivers pictures: before, there is nothing to take.
      video.addEventListener("playing", () => { take.hidden = false; }, { once: true });
      video.play();
    }).catch(() => { start.disabled = true; });
  });
  take.addEventListener("click", () => {
    if (!video.videoWidth) return;
    const canvas = document.createElement("canvas");
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    canvas.getContext("2d").drawImage(video, 0, 0);
    canvas.toBlob((blob) => {
      if (!blob) return;
      const files = new DataTransfer();
      files.items.add(new File([blob], "camera.jpg", { type: "image/jpeg" }));
      input.files = files.files;
      input.dispatchEvent(new Event("change"));
      video.srcObject.getTracks().forEach((track) => track.stop());
      video.hidden = true;
      take.hidden = true;
    }, "image/jpeg", 0.92);
  });
}

// --- Registration: a refused form keeps the chosen photos ------------------------------
// The form is sent in the background: on success the browser goes to the new commuter's page;
// on a refusal only the messages change, so the photos chosen or taken stay chosen.
function submitKeepingFiles(form) {
  const button = form.querySelector("button[type=submit]");
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    button.disabled = true;
    fetch(form.action, { method: "POST", body: new FormData(form) })
      .then((response) => {
        if (response.redirected) {
          window.location.assign(response.url);
          return null;
        }
        return response.text();
      })
      .then((html) => {
        if (html === null) return;
        const answer = new DOMParser().parseFromString(html, "text/html");
        const main = document.querySelector("main");
        main.querySelectorAll(":scope > p.problem").forEach((old) => old.remove());
        const problem = answer.querySelector("main > p.problem");
        if (problem) main.prepend(document.importNode(problem, true));
        const result = answer.getElementById("photo-result");
        if (result) document.getElementById("photo-result").replaceWith(document.importNode(result, true));
        button.disabled = false;
        window.scrollTo(0, 0);
      })
      .catch(() => { button.disabled = false; });
  });
}

// --- Bulk import: follow the job until it is done --------------------------------------
function followImport(section) {
  if (section.dataset.status === "done" || section.dataset.status === "failed") return;
  const bar = document.getElementById("import-progress");
  const poll = () => {
    fetch(section.dataset.progress, { headers: { Accept: "application/json" } })
      .then((r) => r.json())
      .then((job) => {
        bar.max = Math.max(job.total, 1);
        bar.value = job.processed;
        for (const field of ["processed", "total", "enrolled", "failed"]) {
          section.querySelector(`[data-field="${field}"]`).textContent = job[field];
        }
        section.querySelector('[data-field="status"]').textContent = job.status_label;
        if (job.status === "done" || job.status === "failed") {
          window.location.reload();
        } else {
          setTimeout(poll, 700);
        }
      })
      .catch(() => setTimeout(poll, 2000));
  };
  poll();
}

document.addEventListener("DOMContentLoaded", () => {
  const live = document.getElementById("live");
  if (live) startLiveView(live);
  const photo = document.getElementById("photo");
  if (photo) startPhotoCheck(photo);
  const register = document.getElementById("register");
  if (register) submitKeepingFiles(register);
  const job = document.getElementById("import-job");
  if (job) followImport(job);
  for (const form of document.querySelectorAll("form[data-confirm]")) {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  }
  for (const button of document.querySelectorAll("button[data-copy]")) copyButton(button);
});

// A button that copies the text of the element it names (a new key, the command that uses it);
// where the clipboard is out of reach (plain HTTP), the text is selected for the user to copy.
function copyButton(button) {
  const source = document.getElementById(button.dataset.copy);
  button.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(source.textContent);
      button.textContent = button.dataset.copied;
    } catch {
      const range = document.createRange();
      range.selectNodeContents(source);
      const selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
    }
  });
}
