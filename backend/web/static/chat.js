// Minimal web chat: one session per browser (kept in localStorage), history on reload, buttons,
// safe retries (each message carries an id, so a resend never reaches the bot twice) and live push.
(function () {
  "use strict";
  const cfg = window.CHAT_CONFIG;
  const log = document.getElementById("log");
  const statusEl = document.getElementById("status");
  const form = document.getElementById("composer");
  const input = document.getElementById("text");
  const storageKey = "credit-chat-session:" + cfg.tenant;
  let sessionId = localStorage.getItem(storageKey);
  if (!sessionId) {
    sessionId = "web-" + crypto.randomUUID();
    localStorage.setItem(storageKey, sessionId);
  }
  let ready = false;
  let lastId = 0; // the newest stored message already on screen
  const fileInput = document.getElementById("file");
  const MAX_FILE = 10 * 1024 * 1024;

  function add(kind, text, buttons) {
    const li = document.createElement("li");
    li.className = "msg msg--" + kind;
    if (text) li.appendChild(document.createTextNode(text));
    if (buttons && buttons.length) {
      const group = document.createElement("div");
      group.className = "buttons";
      group.setAttribute("role", "group");
      group.setAttribute("aria-label", "Suggested replies");
      for (const b of buttons) {
        const btn = document.createElement("button");
        btn.type = "button";
        btn.textContent = b.title;
        btn.addEventListener("click", () => send({ payload: b.payload, title: b.title }, b.title));
        group.appendChild(btn);
      }
      li.appendChild(group);
    }
    log.appendChild(li);
    log.scrollTop = log.scrollHeight;
  }

  async function send(body, shownAs) {
    add("me", shownAs);
    const messageId = crypto.randomUUID();
    form.querySelector("button").disabled = true;
    try {
      for (let attempt = 0; attempt < 20; attempt++) {
        const res = await fetch(cfg.messagesUrl, {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ session_id: sessionId, tenant: cfg.tenant, message_id: messageId, ...body }),
        });
        if (res.ok) {
          const data = await res.json();
          // no reply: a person holds the conversation and answers through the event stream
          for (const m of data.messages) add("bot", m.text, m.buttons);
          return;
        }
        if (res.status === 503) {
          statusEl.textContent = "The assistant is starting… your message will be answered shortly.";
          await new Promise((r) => setTimeout(r, 3000));
          continue;
        }
        const problem = await res.json().catch(() => ({}));
        add("note", problem.detail || "Something went wrong. Please try again.");
        return;
      }
      add("note", "The assistant is taking too long to start. Please try again in a minute.");
    } catch (e) {
      add("note", "You appear to be offline. Please try again.");
    } finally {
      form.querySelector("button").disabled = false;
      input.focus();
    }
  }

  async function loadHistory() {
    const res = await fetch(cfg.historyUrl.replace("{session}", encodeURIComponent(sessionId)));
    if (!res.ok) return 0;
    const data = await res.json();
    for (const m of data.messages) {
      add(m.direction === "inbound" ? "me" : "bot", m.text || "", m.direction === "inbound" ? [] : m.buttons);
      lastId = Math.max(lastId, m.id);
    }
    return data.messages.length;
  }

  // Messages nobody asked for in this page (a signing code, a receipt, a payout notice, an agent's
  // reply) are pushed over Server-Sent Events; replies to what was typed here are already shown.
  // EventSource reconnects by itself with Last-Event-ID, so a dropped connection misses nothing.
  function listen() {
    const url = cfg.eventsUrl.replace("{session}", encodeURIComponent(sessionId)) + "&after=" + lastId;
    const stream = new EventSource(url);
    stream.onmessage = (event) => {
      try {
        const m = JSON.parse(event.data);
        if (m.id > lastId) {
          add("bot", m.text || "", m.buttons);
          lastId = m.id;
        }
      } catch (e) {
        /* a malformed event is skipped */
      }
    };
  }

  fileInput.addEventListener("change", () => {
    const file = fileInput.files && fileInput.files[0];
    fileInput.value = "";
    if (!file) return;
    if (file.size > MAX_FILE) {
      add("note", "That file is bigger than 10 MB. Please send a smaller photo or PDF.");
      return;
    }
    const reader = new FileReader();
    reader.onload = () => {
      const base64 = String(reader.result).split(",", 2)[1] || "";
      send(
        { attachments: [{ filename: file.name, content_type: file.type || "application/octet-stream", content_base64: base64 }] },
        "📎 " + file.name,
      );
    };
    reader.readAsDataURL(file);
  });

  async function pollReady() {
    try {
      const res = await fetch(cfg.readyUrl);
      ready = res.ok;
    } catch (e) {
      ready = false;
    }
    statusEl.textContent = ready ? "Online" : "The assistant is starting… you can type already.";
    if (!ready) setTimeout(pollReady, 2000);
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    input.value = "";
    send({ text }, text);
  });

  loadHistory().then((count) => {
    if (count === 0) add("note", "Say hi to get started.");
    listen();
  });
  pollReady();
  input.focus();
})();
