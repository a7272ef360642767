// The embeddable chat widget: <script src="https://<host>/widget.js" data-tenant="demo" async></script>
//
// No framework and no build step. Everything lives in an open shadow root, so the host page's CSS
// cannot restyle the widget and the widget's CSS cannot leak out. The theme, greeting, lang and dir
// come from /channels/web/widget-config, which answers only pages on the tenant's allowed origins:
// anywhere else the widget draws nothing and creates no session. One session per tenant is kept in
// localStorage, so a reload shows the history; messages nobody asked for (agent replies, signing
// codes, receipts) arrive over Server-Sent Events; a send is retried with the same message_id, so
// the bot sees it once however often the network fails.
(function () {
  "use strict";
  const VERSION = "__WIDGET_VERSION__";
  const script =
    document.currentScript || document.querySelector('script[src*="widget.js"][data-tenant]');
  if (!script) return;
  const tenant = script.getAttribute("data-tenant") || "demo";
  const base = new URL(script.src, location.href).origin;
  const registry = (window.CreditChatWidget = window.CreditChatWidget || {});
  if (registry[tenant]) return; // embedded twice: one widget is enough
  const api = (registry[tenant] = { state: "loading", version: VERSION });

  const MAX_FILE = 10 * 1024 * 1024;
  const FILE_TYPES = ["image/jpeg", "image/png", "image/webp", "application/pdf", "text/csv"];
  const RTL = ["ar", "he", "fa", "ur"];
  const q = "?tenant=" + encodeURIComponent(tenant);
  const storageKey = "credit-chat-widget:" + base + ":" + tenant;

  // -- small helpers ------------------------------------------------------------------------------
  function el(tag, attrs, text) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v !== null && v !== undefined) node.setAttribute(k, v);
    }
    if (text) node.textContent = text;
    return node;
  }

  // Icons as inline SVG in currentColor: they follow the theme and need no emoji font.
  const ICONS = {
    chat: "M4 5h16v11H9l-5 4z",
    clip: "M16.5 6.5l-7.8 7.8a2 2 0 0 0 2.8 2.8l7.8-7.8a4 4 0 0 0-5.7-5.7l-7.8 7.8a6 6 0 0 0 8.5 8.5l6.4-6.4",
    close: "M6 6l12 12M18 6L6 18",
  };
  function icon(name) {
    const ns = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(ns, "svg");
    for (const [k, v] of Object.entries({ viewBox: "0 0 24 24", width: "24", height: "24", "aria-hidden": "true", focusable: "false" })) {
      svg.setAttribute(k, v);
    }
    const path = document.createElementNS(ns, "path");
    path.setAttribute("d", ICONS[name]);
    path.setAttribute("fill", "none");
    path.setAttribute("stroke", "currentColor");
    path.setAttribute("stroke-width", "2");
    path.setAttribute("stroke-linecap", "round");
    path.setAttribute("stroke-linejoin", "round");
    svg.appendChild(path);
    return svg;
  }

  function randomId(prefix) {
    // getRandomValues works on http:// pages too, where crypto.randomUUID does not exist
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return prefix + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  // WCAG 2.1 relative luminance and contrast (the server checks too; this guards old configs)
  function luminance(hex) {
    const c = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255);
    const l = c.map((v) => (v <= 0.04045 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4)));
    return 0.2126 * l[0] + 0.7152 * l[1] + 0.0722 * l[2];
  }
  function contrast(a, b) {
    const [x, y] = [luminance(a), luminance(b)].sort((m, n) => n - m);
    return (x + 0.05) / (y + 0.05);
  }
  function readable(primary, text) {
    if (contrast(primary, text) >= 4.5) return text;
    return contrast(primary, "#1a1a1a") >= 4.5 ? "#1a1a1a" : "#ffffff";
  }
  const HEX = /^#[0-9a-fA-F]{6}$/;

  // -- start: the tenant's config decides whether this page may chat at all -------------------------
  fetch(base + "/channels/web/widget-config" + q, { credentials: "omit" })
    .then((res) => {
      if (!res.ok) throw new Error("widget-config " + res.status);
      return res.json();
    })
    .then(mount)
    .catch((err) => {
      api.state = "refused";
      console.warn("[chat widget] not shown on this site:", err && err.message);
    });

  function mount(cfg) {
    const name = cfg.display_name || "Chat";
    // The widget's own words in the tenant's language, from the server's catalog
    // (backend/api/widget_strings.py).
    const words = cfg.strings || {};
    const t = (key, vars) =>
      (words[key] || key).replace(/\{(\w+)\}/g, (_, k) => (vars && k in vars ? String(vars[k]) : ""));
    const locale = cfg.locale || "en";
    const dir = cfg.dir || (RTL.includes(locale.split("_")[0]) ? "rtl" : "ltr");
    const lang = cfg.lang || locale.replace("_", "-");
    const theme = cfg.theme || {};
    const primary = HEX.test(theme.primary_color || "") ? theme.primary_color : "#1f4b99";
    const onPrimary = readable(primary, HEX.test(theme.text_color || "") ? theme.text_color : "#ffffff");

    let sessionId = localStorage.getItem(storageKey);
    if (!sessionId) {
      sessionId = randomId("web-");
      localStorage.setItem(storageKey, sessionId);
    }
    const sessionPath = base + "/channels/web/sessions/" + encodeURIComponent(sessionId);

    // -- the DOM, inside a shadow root ------------------------------------------------------------
    const host = el("div", { id: "credit-chat-widget-" + tenant, "data-tenant": tenant });
    host.style.visibility = "hidden"; // until the stylesheet is in, so nothing flashes unstyled
    const root = host.attachShadow({ mode: "open" });
    const css = el("link", { rel: "stylesheet", href: base + "/static/widget.css?v=" + VERSION });
    css.addEventListener("load", () => (host.style.visibility = ""));
    css.addEventListener("error", () => (host.style.visibility = ""));
    root.appendChild(css);

    const wrap = el("div", { class: "cw", dir, lang });
    wrap.style.setProperty("--cw-primary", primary);
    wrap.style.setProperty("--cw-on-primary", onPrimary);

    const launcher = el("button", {
      type: "button",
      class: "cw-launcher",
      "aria-haspopup": "dialog",
      "aria-expanded": "false",
      "aria-controls": "cw-panel",
      "aria-label": t("open", { name }),
    });
    launcher.appendChild(icon("chat"));
    const badge = el("span", { class: "cw-badge", hidden: "" });
    launcher.appendChild(badge);

    const panel = el("div", {
      id: "cw-panel",
      class: "cw-panel",
      role: "dialog",
      "aria-label": t("dialog", { name }),
      hidden: "",
    });
    const header = el("div", { class: "cw-header" });
    if (cfg.avatar_url) header.appendChild(el("img", { class: "cw-avatar", src: cfg.avatar_url, alt: "" }));
    header.appendChild(el("h2", { class: "cw-title", id: "cw-title" }, name));
    const closeBtn = el("button", { type: "button", class: "cw-close", "aria-label": t("close") });
    closeBtn.appendChild(icon("close"));
    header.appendChild(closeBtn);

    const log = el("ol", {
      class: "cw-log",
      role: "log",
      "aria-live": "polite",
      "aria-label": t("log", { name }),
      tabindex: "0",
    });
    const typing = el("p", { class: "cw-typing", role: "status", hidden: "" });
    typing.appendChild(el("span", { class: "cw-dots", "aria-hidden": "true" }, "• • •"));
    typing.appendChild(el("span", { class: "cw-vh" }, t("typing", { name })));

    const form = el("form", { class: "cw-composer", autocomplete: "off" });
    form.appendChild(el("label", { for: "cw-text", class: "cw-vh" }, t("message_label")));
    const input = el("input", {
      id: "cw-text",
      name: "text",
      type: "text",
      maxlength: "4096",
      placeholder: t("placeholder"),
      autocomplete: "off",
    });
    const fileInput = el("input", {
      id: "cw-file",
      type: "file",
      class: "cw-vh",
      tabindex: "-1",
      "aria-hidden": "true",
      accept: FILE_TYPES.join(","),
    });
    const attach = el("button", {
      type: "button",
      class: "cw-attach",
      "aria-label": t("attach"),
      title: t("attach_title"),
    });
    attach.appendChild(icon("clip"));
    const sendBtn = el("button", { type: "submit", class: "cw-send" }, t("send"));
    form.append(input, fileInput, attach, sendBtn);

    panel.append(header, log, typing, form);
    wrap.append(panel, launcher);
    root.appendChild(wrap);
    document.body.appendChild(host);

    // -- the log --------------------------------------------------------------------------------
    const shown = new Set(); // stored message ids already on screen
    let lastId = 0;
    let unread = 0;

    function add(kind, text, buttons, live) {
      const li = el("li", { class: "msg msg--" + kind });
      const who = kind === "me" ? t("you") + ": " : kind === "bot" ? name + ": " : "";
      if (who) li.appendChild(el("span", { class: "cw-vh" }, who));
      // dir=auto: an English reply inside a right-to-left widget (or Arabic in a left-to-right
      // one) keeps its own direction, so its punctuation stays at its end
      if (text) li.appendChild(el("span", { class: "msg__text", dir: "auto" }, text));
      if (buttons && buttons.length) {
        const group = el("div", { class: "cw-buttons", role: "group", "aria-label": t("suggested") });
        for (const b of buttons) {
          const btn = el("button", { type: "button", class: "cw-choice", dir: "auto" }, b.title);
          btn.addEventListener("click", () => send({ payload: b.payload, title: b.title }, b.title));
          group.appendChild(btn);
        }
        li.appendChild(group);
      }
      log.appendChild(li);
      log.scrollTop = log.scrollHeight;
      if (live && panel.hidden) {
        unread += 1;
        badge.textContent = String(unread);
        badge.hidden = false;
        launcher.setAttribute("aria-label", t("open_unread", { name, count: unread }));
      }
      return li;
    }

    function addStored(m, live) {
      if (shown.has(m.id)) return;
      shown.add(m.id);
      lastId = Math.max(lastId, m.id);
      const inbound = m.direction === "inbound";
      add(inbound ? "me" : "bot", m.text || "", inbound ? [] : m.buttons, live);
    }

    // -- sending, with retries that reuse the message id ---------------------------------------
    let pending = 0;
    function busy(delta) {
      pending += delta;
      typing.hidden = pending === 0;
      sendBtn.disabled = pending > 0;
    }

    async function send(body, shownAs) {
      add("me", shownAs);
      const messageId = randomId("m-");
      busy(1);
      try {
        for (let attempt = 0; attempt < 30; attempt++) {
          let res;
          try {
            res = await fetch(base + "/channels/web/messages" + q, {
              method: "POST",
              credentials: "omit",
              headers: { "Content-Type": "application/json" },
              body: JSON.stringify({ session_id: sessionId, tenant, message_id: messageId, ...body }),
            });
          } catch (e) {
            await sleep(Math.min(1000 * 2 ** attempt, 8000)); // offline: same id, try again
            continue;
          }
          if (res.ok) {
            const data = await res.json();
            // no reply: a person holds the conversation and answers through the event stream
            for (const m of data.messages) add("bot", m.text, m.buttons);
            return;
          }
          if (res.status === 503) {
            const wait = Number(res.headers.get("Retry-After")) || 3;
            await sleep(Math.min(wait, 10) * 1000);
            continue;
          }
          const problem = await res.json().catch(() => ({}));
          add("note", problem.detail || t("error"));
          return;
        }
        add("note", t("unreachable"));
      } finally {
        busy(-1);
      }
    }

    function sleep(ms) {
      return new Promise((r) => setTimeout(r, ms));
    }

    // -- history and the live stream ------------------------------------------------------------
    async function loadHistory() {
      try {
        const res = await fetch(sessionPath + "/messages" + q, { credentials: "omit" });
        if (!res.ok) return 0;
        const data = await res.json();
        for (const m of data.messages) addStored(m);
        return data.messages.length;
      } catch (e) {
        return 0;
      }
    }

    function listen() {
      // EventSource reconnects by itself and sends Last-Event-ID, so nothing is missed or repeated
      const stream = new EventSource(sessionPath + "/events" + q + "&after=" + lastId);
      stream.onmessage = (event) => {
        try {
          addStored(JSON.parse(event.data), true);
        } catch (e) {
          /* a malformed event is skipped */
        }
      };
      api.stream = stream;
    }

    // -- open, close, keyboard ------------------------------------------------------------------
    function open() {
      panel.hidden = false;
      launcher.setAttribute("aria-expanded", "true");
      unread = 0;
      badge.hidden = true;
      launcher.setAttribute("aria-label", t("close_chat_with", { name }));
      input.focus();
      log.scrollTop = log.scrollHeight;
    }
    function close() {
      panel.hidden = true;
      launcher.setAttribute("aria-expanded", "false");
      launcher.setAttribute("aria-label", t("open", { name }));
      launcher.focus();
    }
    launcher.addEventListener("click", () => (panel.hidden ? open() : close()));
    closeBtn.addEventListener("click", close);
    wrap.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && !panel.hidden) {
        event.preventDefault();
        close();
      }
    });

    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const text = input.value.trim();
      if (!text) return;
      input.value = "";
      send({ text }, text);
    });

    attach.addEventListener("click", () => fileInput.click());
    fileInput.addEventListener("change", () => {
      const file = fileInput.files && fileInput.files[0];
      fileInput.value = "";
      if (!file) return;
      if (file.size > MAX_FILE) {
        add("note", t("too_big"));
        return;
      }
      if (file.type && !FILE_TYPES.includes(file.type)) {
        add("note", t("wrong_type"));
        return;
      }
      const reader = new FileReader();
      reader.onload = () => {
        const content = String(reader.result).split(",", 2)[1] || "";
        send(
          {
            attachments: [
              { filename: file.name, content_type: file.type || "application/octet-stream", content_base64: content },
            ],
          },
          "📎 " + file.name,
        );
      };
      reader.readAsDataURL(file);
    });

    api.open = open;
    api.close = close;
    api.sessionId = sessionId;
    loadHistory().then((count) => {
      if (count === 0 && cfg.greeting) add("greeting", cfg.greeting);
      listen();
      api.state = "ready";
      host.setAttribute("data-state", "ready");
    });
  }
})();
