// The agent console: sign-in page and inbox. No framework, no build step. Everything shown comes
// from /agent/api/* (cookie session); every call that changes something carries the CSRF token from
// the csrf_token cookie in the X-CSRF-Token header (double-submit: a page on another origin cannot
// read the cookie, so it cannot forge the header). Customer text is only ever set as textContent.
(function () {
  "use strict";

  function readCookie(name) {
    for (const part of document.cookie.split(";")) {
      const [k, ...v] = part.trim().split("=");
      if (k === name) return decodeURIComponent(v.join("="));
    }
    return "";
  }

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === "class") node.className = v;
      else if (k === "text") node.textContent = v;
      else if (k.startsWith("data-") || k.startsWith("aria-") || k === "role" || k === "id") node.setAttribute(k, v);
      else node[k] = v;
    }
    for (const c of children) if (c !== null && c !== undefined) node.append(c);
    return node;
  }

  // -- sign in ---------------------------------------------------------------------------------
  // The form posts natively when script is off; with script the error is shown in place (role=alert,
  // focused, fields marked aria-invalid) instead of leaving the page.
  function loginPage() {
    const form = document.getElementById("login-form");
    const errorBox = document.getElementById("login-error");
    const submit = document.getElementById("login-submit");
    function showError(text) {
      errorBox.textContent = text;
      errorBox.hidden = false;
      for (const id of ["email", "password"]) document.getElementById(id).setAttribute("aria-invalid", "true");
      errorBox.focus();
    }
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const data = new FormData(form);
      for (const [name, label] of [["email", "your email"], ["password", "your password"], ["tenant", "your tenant"]]) {
        if (!String(data.get(name) || "").trim()) {
          showError("Please enter " + label + ".");
          document.getElementById(name).focus();
          return;
        }
      }
      submit.disabled = true;
      try {
        const res = await fetch(form.action, {
          method: "POST",
          body: new URLSearchParams(data),
          headers: { Accept: "application/json" },
          credentials: "same-origin",
        });
        if (res.ok || res.redirected) {
          window.location.assign(res.redirected ? res.url : "/agent/console");
          return;
        }
        const problem = await res.json().catch(() => ({}));
        if (res.status === 429 || problem.type === "locked" || /lock/i.test(problem.detail || "")) {
          showError(problem.detail || "Too many failed attempts. Please wait 15 minutes and try again.");
        } else if (res.status === 401 || res.status === 403 || res.status === 422) {
          showError("The email, password or tenant is not right. Please check them and try again.");
        } else {
          showError("Signing in failed (" + res.status + "). Please try again.");
        }
      } catch (e) {
        showError("You appear to be offline. Please try again.");
      } finally {
        submit.disabled = false;
      }
    });
  }

  // -- the console -----------------------------------------------------------------------------
  function consolePage() {
    const cfg = JSON.parse(document.getElementById("agent-config").textContent);
    const $ = (id) => document.getElementById(id);
    const state = {
      me: null,
      view: "waiting",
      items: [],
      fetchedAt: 0,
      selected: null, // conversation id
      detail: null,
      lastMessageId: 0,
      shownMessages: new Set(),
      agents: [],
    };

    class ApiError extends Error {
      constructor(status, detail) {
        super(detail);
        this.status = status;
      }
    }

    async function api(method, path, body) {
      const headers = { Accept: "application/json" };
      if (method !== "GET") {
        headers["Content-Type"] = "application/json";
        headers[cfg.csrfHeader] = readCookie(cfg.csrfCookie);
      }
      const res = await fetch(cfg.apiBase + path, {
        method,
        headers,
        credentials: "same-origin",
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      if (res.status === 401) {
        window.location.assign(cfg.loginUrl + "?error=expired");
        throw new ApiError(401, "Your session has ended.");
      }
      if (!res.ok) {
        const problem = await res.json().catch(() => ({}));
        throw new ApiError(res.status, problem.detail || problem.title || "The request failed (" + res.status + ").");
      }
      if (res.status === 204) return {};
      return res.json().catch(() => ({}));
    }

    const announcer = $("announcer");
    function announce(text) {
      // clear then set, so the same sentence twice is still read out
      announcer.textContent = "";
      window.setTimeout(() => (announcer.textContent = text), 50);
    }
    function actionStatus(text, isError) {
      const box = $("action-status");
      box.textContent = text;
      box.classList.toggle("action-status--error", !!isError);
    }

    // -- formatting ----------------------------------------------------------------------------
    function duration(seconds) {
      seconds = Math.max(0, Math.floor(seconds));
      const h = Math.floor(seconds / 3600);
      const m = Math.floor((seconds % 3600) / 60);
      const s = seconds % 60;
      if (h) return h + "h " + String(m).padStart(2, "0") + "m";
      if (m) return m + "m " + String(s).padStart(2, "0") + "s";
      return s + "s";
    }
    // A time of day, with the day when it is not today: SLA deadlines count support hours only,
    // so a request on a Sunday is due on Monday morning.
    function clock(iso) {
      if (!iso) return "";
      const d = new Date(iso);
      if (isNaN(d)) return "";
      const time = d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
      if (d.toDateString() === new Date().toDateString()) return time;
      return d.toLocaleDateString([], { weekday: "short", day: "numeric", month: "short" }) + " " + time;
    }
    const CHANNELS = { web: "Web chat", whatsapp: "WhatsApp", sms: "SMS", twilio_whatsapp: "WhatsApp", twilio_sms: "SMS", meta_whatsapp: "WhatsApp" };
    const channelName = (c) => CHANNELS[c] || c || "";
    const AUTHORS = { customer: "Customer", bot: "Bot", agent: "Agent", system: "System", business: "Business" };
    const STATUS = { waiting: "Waiting", assigned: "Assigned", resolved: "Resolved", bot: "With the bot", cancelled: "Cancelled" };
    const REASONS = {
      customer_request: "Asked for a person",
      bot_failure: "The bot did not understand",
      dispute: "Dispute",
      hardship: "Hardship",
      agent_pickup: "Picked up by an agent",
    };
    const reasonText = (r) => REASONS[r] || String(r || "").replace(/_/g, " ");
    const customerName = (item) => (item && item.customer_name) || "Unnamed customer";

    // The SLA state as words (colour only repeats them): breached first, then the next deadline.
    function slaState(sla, status) {
      if (!sla) return { text: "", breached: false };
      const breaches = [];
      if (sla.first_response_breached) breaches.push("first response");
      if (sla.resolution_breached) breaches.push("resolution");
      if (breaches.length) return { text: "SLA breached: " + breaches.join(" and "), breached: true };
      if (status !== "waiting" && status !== "assigned") return { text: "", breached: false };
      // waiting: the first answer is what is due; once an agent holds it, the resolution
      if (status === "waiting" && sla.first_response_due_at) return { text: "First response due " + clock(sla.first_response_due_at), breached: false };
      if (sla.resolution_due_at) return { text: "Resolve by " + clock(sla.resolution_due_at), breached: false };
      if (sla.first_response_due_at) return { text: "First response due " + clock(sla.first_response_due_at), breached: false };
      return { text: "", breached: false };
    }

    // -- the queue -----------------------------------------------------------------------------
    const tabs = Array.from(document.querySelectorAll('[role="tab"]'));
    function selectTab(tab, focus) {
      for (const t of tabs) {
        const on = t === tab;
        t.setAttribute("aria-selected", on ? "true" : "false");
        t.tabIndex = on ? 0 : -1;
      }
      $("queue-list").setAttribute("aria-labelledby", tab.id);
      if (focus) tab.focus();
      state.view = tab.dataset.view;
      loadQueue();
    }
    for (const tab of tabs) {
      tab.addEventListener("click", () => selectTab(tab, false));
      tab.addEventListener("keydown", (event) => {
        const i = tabs.indexOf(tab);
        let next = null;
        if (event.key === "ArrowRight") next = tabs[(i + 1) % tabs.length];
        else if (event.key === "ArrowLeft") next = tabs[(i - 1 + tabs.length) % tabs.length];
        else if (event.key === "Home") next = tabs[0];
        else if (event.key === "End") next = tabs[tabs.length - 1];
        if (next) {
          event.preventDefault();
          selectTab(next, true);
        }
      });
    }

    let queueTimer = null;
    function loadQueueSoon() {
      // many events in a burst (a handoff and its first messages) become one request
      window.clearTimeout(queueTimer);
      queueTimer = window.setTimeout(loadQueue, 150);
    }
    let queueSeq = 0;
    async function loadQueue() {
      const seq = ++queueSeq;
      try {
        const data = await api("GET", "/conversations?view=" + encodeURIComponent(state.view));
        if (seq !== queueSeq) return; // a newer request (another tab) has answered or will
        const before = new Set(state.items.map((i) => i.conversation_id));
        state.items = data.items || [];
        state.fetchedAt = Date.now();
        renderQueue();
        $("count-" + state.view).textContent = "(" + state.items.length + ")";
        const fresh = state.items.filter((i) => !before.has(i.conversation_id) && i.status === "waiting");
        if (before.size && fresh.length) announce(fresh.length === 1 ? customerName(fresh[0]) + " is waiting." : fresh.length + " new customers are waiting.");
      } catch (e) {
        if (e.status !== 401) $("queue-empty").textContent = "The list could not be loaded: " + e.message;
      }
    }

    function renderQueue() {
      const list = $("queue-items");
      list.replaceChildren();
      for (const item of state.items) {
        const sla = slaState(item.sla, item.status);
        const selected = item.conversation_id === state.selected;
        const row = el(
          "button",
          {
            type: "button",
            class: "row" + (item.priority === "high" ? " row--high" : "") + (sla.breached ? " row--breached" : ""),
            "data-conversation-id": item.conversation_id,
            "data-status": item.status,
            "aria-current": selected ? "true" : null,
          },
          el(
            "span",
            { class: "row__top" },
            el("span", { class: "row__name", text: customerName(item) }),
            el("span", { class: "row__wait", "data-waiting": item.waiting_seconds || 0, text: duration(item.waiting_seconds || 0) }),
          ),
          el(
            "span",
            { class: "row__tags" },
            el("span", { class: "tag", text: channelName(item.channel) }),
            el("span", { class: "tag tag--" + item.status, text: STATUS[item.status] || item.status }),
            item.priority === "high" ? el("span", { class: "tag tag--high", text: "High priority" }) : null,
            item.assigned_agent ? el("span", { class: "tag", text: "With " + item.assigned_agent.name }) : null,
          ),
          item.reason ? el("span", { class: "row__reason", text: "Reason: " + reasonText(item.reason) }) : null,
          sla.text ? el("span", { class: "row__sla" + (sla.breached ? " row__sla--breached" : ""), text: (sla.breached ? "⚠ " : "") + sla.text }) : null,
          item.last_message_preview ? el("span", { class: "row__preview", text: item.last_message_preview }) : null,
        );
        row.addEventListener("click", () => openConversation(item.conversation_id, true));
        list.append(el("li", {}, row));
      }
      $("queue-empty").hidden = state.items.length > 0;
      if (!state.items.length) $("queue-empty").textContent = "No conversations here.";
    }

    // Waiting times tick every second from the server's figure plus the time since it was fetched.
    function tick() {
      const elapsed = (Date.now() - state.fetchedAt) / 1000;
      for (const span of document.querySelectorAll(".row__wait")) {
        span.textContent = duration(Number(span.dataset.waiting) + elapsed);
      }
      if (state.detail && state.detail.handoff && state.detail.handoff.status === "waiting") {
        const base = state.detail.handoff.waiting_seconds || 0;
        const since = (Date.now() - state.detailAt) / 1000;
        const wait = $("conversation-wait");
        if (wait) wait.textContent = "waiting " + duration(base + since);
      }
    }

    // -- one conversation ----------------------------------------------------------------------
    async function openConversation(id, focus) {
      if (state.selected !== id) {
        state.selected = id;
        state.lastMessageId = 0;
        state.shownMessages = new Set();
        $("messages").replaceChildren();
        $("summary").replaceChildren(el("p", { class: "muted", text: "Loading…" }));
        closeForms();
        actionStatus("");
      }
      renderQueue();
      $("conversation-empty").hidden = true;
      $("conversation-view").hidden = false;
      // a whole transcript arriving at once is not read out message by message
      $("messages").setAttribute("aria-busy", "true");
      await Promise.all([loadDetail(), loadMessages(), loadSummary()]);
      $("messages").setAttribute("aria-busy", "false");
      if (focus) $("conversation-name").focus();
    }

    async function loadDetail() {
      const id = state.selected;
      try {
        const detail = await api("GET", "/conversations/" + encodeURIComponent(id));
        if (id !== state.selected) return;
        state.detail = detail;
        state.detailAt = Date.now();
        renderDetail();
      } catch (e) {
        if (e.status !== 401) actionStatus("The conversation could not be loaded: " + e.message, true);
      }
    }

    function renderDetail() {
      const d = state.detail;
      const h = d.handoff || {};
      const customer = d.customer || {};
      const conv = d.conversation || {};
      $("conversation-name").textContent = customer.full_name || customer.business_name || h.customer_name || "Unnamed customer";
      $("conversation-name").tabIndex = -1;
      const sla = slaState(h.sla, h.status);
      const meta = $("conversation-meta");
      const parts = [
        el("span", { class: "tag", text: channelName(conv.channel || h.channel) }),
        el("span", { class: "tag tag--" + (h.status || "bot"), id: "conversation-status", text: STATUS[h.status] || h.status || "With the bot" }),
        h.priority === "high" ? el("span", { class: "tag tag--high", text: "High priority" }) : null,
        h.assigned_agent ? el("span", { class: "tag", text: "With " + h.assigned_agent.name }) : null,
        h.status === "waiting" ? el("span", { class: "tag", id: "conversation-wait", text: "waiting " + duration(h.waiting_seconds || 0) }) : null,
        h.reason ? el("span", { class: "meta__reason", text: "Reason: " + reasonText(h.reason) }) : null,
        sla.text ? el("span", { class: "row__sla" + (sla.breached ? " row__sla--breached" : ""), text: (sla.breached ? "⚠ " : "") + sla.text }) : null,
        conv.opted_out ? el("span", { class: "tag tag--warn", text: "Opted out of messages" }) : null,
      ];
      meta.replaceChildren(...parts.filter(Boolean));
      const mine = h.assigned_agent && state.me && h.assigned_agent.id === state.me.id;
      const open = h.status === "waiting" || h.status === "assigned";
      // taking a conversation nobody holds (with the bot, or closed) opens a new request for it
      $("take").disabled = !!mine;
      $("take").textContent = h.status === "assigned" && !mine ? "Take over from " + h.assigned_agent.name : "Take over";
      $("transfer-toggle").disabled = !open;
      $("resolve-toggle").disabled = !open;
      $("hand-back").disabled = !open;
      $("reply-send").disabled = !!conv.opted_out;

      const profile = $("profile");
      profile.replaceChildren();
      const facts = [
        ["Name", customer.full_name],
        ["Business", customer.business_name],
        ["Phone", customer.phone_masked],
        ["ID number", customer.id_number_masked],
        ["KYC", customer.kyc_status],
        ["Channel identity", conv.identity_masked],
      ];
      for (const [k, v] of facts) if (v) profile.append(el("dt", { text: k }), el("dd", { text: v }));
      if (!profile.children.length) profile.append(el("dt", { text: "Profile" }), el("dd", { text: "Not known yet" }));

      fillRecords($("applications"), d.applications, (a) =>
        [a.product_name || a.product_code, a.requested_amount_formatted, a.status, a.created_at ? "started " + a.created_at.slice(0, 10) : null]
          .filter(Boolean)
          .join(" · "),
      );
      fillRecords($("loans"), d.loans, (l) =>
        [l.reference || "Loan …" + String(l.id).slice(-6), l.status, l.balance_formatted ? "balance " + l.balance_formatted : null, l.next_due_date ? "next due " + l.next_due_date : null]
          .filter(Boolean)
          .join(" · "),
      );
      fillRecords($("disputes"), d.disputes, (x) => [x.reference, x.category, x.status].filter(Boolean).join(" · "));
    }

    function fillRecords(list, records, line) {
      list.replaceChildren();
      for (const r of records || []) list.append(el("li", { text: line(r) }));
      if (!list.children.length) list.append(el("li", { class: "muted", text: "None" }));
    }

    async function loadMessages() {
      const id = state.selected;
      try {
        const after = state.lastMessageId ? "?after=" + state.lastMessageId : "";
        const data = await api("GET", "/conversations/" + encodeURIComponent(id) + "/messages" + after);
        if (id !== state.selected) return;
        for (const m of data.messages || []) addMessage(m, false);
      } catch (e) {
        if (e.status !== 401) actionStatus("The transcript could not be loaded: " + e.message, true);
      }
    }

    function addMessage(m, live) {
      if (state.shownMessages.has(m.id)) {
        // already on screen: only its delivery status may have moved on (queued -> sent -> delivered)
        const status = document.querySelector('#messages [data-message-id="' + m.id + '"] .msg__status');
        if (status && m.status) {
          status.textContent = " · " + m.status;
          status.parentElement.parentElement.dataset.status = m.status;
        }
        return;
      }
      state.shownMessages.add(m.id);
      state.lastMessageId = Math.max(state.lastMessageId, m.id);
      const author = m.author || (m.direction === "inbound" ? "customer" : "bot");
      const li = el(
        "li",
        { class: "msg msg--" + author, "data-message-id": m.id, "data-author": author, "data-status": m.status || null },
        el(
          "span",
          { class: "msg__meta" },
          el("span", { class: "msg__author", text: AUTHORS[author] || author }),
          m.channel ? el("span", { class: "msg__channel", text: " · " + channelName(m.channel) }) : null,
          el("time", { class: "msg__time", dateTime: m.created_at || "", text: clock(m.created_at) ? " · " + clock(m.created_at) : "" }),
          m.status && author === "agent" ? el("span", { class: "msg__status", text: " · " + m.status }) : null,
        ),
        el("span", { class: "msg__text", text: m.text || (m.attachments && m.attachments.length ? "📎 attachment" : "") }),
      );
      if (m.buttons && m.buttons.length) {
        li.append(el("span", { class: "msg__buttons", text: "Options: " + m.buttons.map((b) => b.title).join(" | ") }));
      }
      // keep id order even when a live event overtakes the page's own fetch
      const log = $("messages");
      const later = Array.from(log.children).find((c) => Number(c.dataset.messageId) > m.id);
      log.insertBefore(li, later || null);
      log.scrollTop = log.scrollHeight;
      if (live && author === "customer") announce("New message from the customer: " + (m.text || ""));
    }

    // The agent's replies leave through the worker; re-read them until they are no longer pending
    // so the agent sees "sent", "delivered" or "failed" (no event carries a status change).
    const PENDING = new Set(["queued", "sending", "pending"]);
    async function refreshPending() {
      const id = state.selected;
      const pending = Array.from(document.querySelectorAll("#messages .msg--agent")).filter((li) => PENDING.has(li.dataset.status));
      if (!id || !pending.length) return;
      const first = Math.min(...pending.map((li) => Number(li.dataset.messageId)));
      try {
        const data = await api("GET", "/conversations/" + encodeURIComponent(id) + "/messages?after=" + (first - 1));
        if (id === state.selected) for (const m of data.messages || []) addMessage(m, false);
      } catch (e) {
        /* the next tick tries again */
      }
    }

    async function loadSummary() {
      const id = state.selected;
      const box = $("summary");
      try {
        const s = await api("GET", "/conversations/" + encodeURIComponent(id) + "/summary");
        if (id !== state.selected) return;
        const parts = [];
        if (s.summary) parts.push(el("p", { text: s.summary }));
        const dl = el("dl", { class: "facts facts--stack" });
        dl.append(el("dt", { text: "Wants" }), el("dd", { text: s.wants || "Not clear yet" }));
        for (const [title, list] of [["Known", s.known], ["Bot tried", s.tried], ["Open items", s.open_items]]) {
          const ul = el("ul");
          for (const x of list || []) ul.append(el("li", { text: x }));
          if (!ul.children.length) ul.append(el("li", { class: "muted", text: "Nothing" }));
          dl.append(el("dt", { text: title }), el("dd", {}, ul));
        }
        parts.push(dl);
        parts.push(el("p", { class: "muted small", text: s.generated_by === "model" ? "Written by the assistant model." : "Extracted from the conversation." }));
        box.replaceChildren(...parts);
      } catch (e) {
        if (e.status !== 401) box.replaceChildren(el("p", { class: "muted", text: "No summary available." }));
      }
    }

    // -- actions -------------------------------------------------------------------------------
    async function act(label, path, body, done, onDone) {
      const id = state.selected;
      if (!id) return false;
      actionStatus(label + "…");
      try {
        await api("POST", "/conversations/" + encodeURIComponent(id) + path, body);
        actionStatus(done);
        if (onDone) onDone();
        await Promise.all([loadDetail(), loadQueue()]);
        return true;
      } catch (e) {
        if (e.status === 409 || e.status === 403) actionStatus("Not done: " + e.message, true);
        else if (e.status !== 401) actionStatus(label + " failed: " + e.message, true);
        return false;
      }
    }

    $("take").addEventListener("click", async () => {
      if (await act("Taking over", "/take", {}, "You have this conversation. The bot is paused.")) $("reply-text").focus();
    });
    $("hand-back").addEventListener("click", () => act("Handing back", "/hand-back", {}, "Handed back to the bot. It answers the next message."));

    function closeForms() {
      for (const name of ["transfer", "resolve"]) {
        $(name + "-form").hidden = true;
        $(name + "-toggle").setAttribute("aria-expanded", "false");
      }
    }
    function toggleForm(name, first) {
      const form = $(name + "-form");
      const opening = form.hidden;
      closeForms();
      if (opening) {
        form.hidden = false;
        $(name + "-toggle").setAttribute("aria-expanded", "true");
        first.focus();
      }
    }
    for (const button of document.querySelectorAll("[data-cancel]")) {
      button.addEventListener("click", () => {
        closeForms();
        $(button.dataset.cancel + "-toggle").focus();
      });
    }
    for (const form of [$("transfer-form"), $("resolve-form")]) {
      form.addEventListener("keydown", (event) => {
        if (event.key === "Escape") {
          const name = form.id.replace("-form", "");
          closeForms();
          $(name + "-toggle").focus();
        }
      });
    }

    $("transfer-toggle").addEventListener("click", async () => {
      await loadAgents();
      toggleForm("transfer", $("transfer-agent"));
    });
    async function loadAgents() {
      const select = $("transfer-agent");
      try {
        const data = await api("GET", "/agents");
        state.agents = Array.isArray(data) ? data : data.items || data.agents || [];
      } catch (e) {
        state.agents = [];
      }
      const others = state.agents.filter((a) => a.online && (!state.me || a.id !== state.me.id));
      select.replaceChildren(el("option", { value: "", text: others.length ? "Choose an online agent" : "No other agent is online" }));
      for (const a of others) select.append(el("option", { value: a.id, text: a.name + (a.role && a.role !== "agent" ? " (" + a.role + ")" : "") }));
    }
    $("transfer-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      const agentId = $("transfer-agent").value;
      if (!agentId) {
        actionStatus("Choose an online agent to transfer to.", true);
        $("transfer-agent").focus();
        return;
      }
      const name = $("transfer-agent").selectedOptions[0].textContent;
      await act("Transferring", "/transfer", { agent_id: agentId }, "Transferred to " + name + ".", () => {
        closeForms();
        $("transfer-toggle").focus();
      });
    });

    $("resolve-toggle").addEventListener("click", () => toggleForm("resolve", $("resolve-note")));
    $("resolve-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      const note = $("resolve-note").value.trim();
      if (!note) {
        actionStatus("Write a short note on how it was resolved.", true);
        $("resolve-note").focus();
        return;
      }
      await act("Resolving", "/resolve", { note }, "Resolved.", () => {
        $("resolve-note").value = "";
        closeForms();
        $("resolve-toggle").focus();
      });
    });

    // -- the reply box -------------------------------------------------------------------------
    const replyText = $("reply-text");
    replyText.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        $("reply-form").requestSubmit();
      }
    });
    let sending = false;
    $("reply-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      const text = replyText.value.trim();
      if (!text || sending || !state.selected) return;
      sending = true;
      $("reply-send").disabled = true;
      const id = state.selected;
      try {
        const res = await api("POST", "/conversations/" + encodeURIComponent(id) + "/messages", { text });
        replyText.value = "";
        const m = res && (res.message || (res.id ? res : null));
        if (m && id === state.selected) addMessage(m, false);
        else await loadMessages();
        actionStatus("Reply sent.");
        if (state.detail && state.detail.handoff && state.detail.handoff.status !== "assigned") loadDetail();
      } catch (e) {
        if (e.status === 409 || e.status === 403) actionStatus("The reply was not sent: " + e.message + " Take the conversation over to reply.", true);
        else if (e.status !== 401) actionStatus("The reply was not sent: " + e.message, true);
      } finally {
        sending = false;
        $("reply-send").disabled = false;
        replyText.focus();
      }
    });

    async function loadCanned() {
      const list = $("canned");
      try {
        const data = await api("GET", "/canned-responses");
        const items = Array.isArray(data) ? data : data.items || [];
        list.replaceChildren();
        for (const c of items) {
          const button = el("button", { type: "button", class: "chip", title: c.text, text: c.title });
          button.setAttribute("aria-label", "Insert: " + c.title);
          button.addEventListener("click", () => insertCanned(c.text));
          list.append(el("li", {}, button));
        }
        if (!items.length) list.append(el("li", { class: "muted", text: "None" }));
      } catch (e) {
        list.replaceChildren(el("li", { class: "muted", text: "Unavailable" }));
      }
    }
    function insertCanned(text) {
      const start = replyText.selectionStart ?? replyText.value.length;
      const end = replyText.selectionEnd ?? replyText.value.length;
      replyText.setRangeText(text, start, end, "end");
      replyText.focus();
    }

    // -- presence ------------------------------------------------------------------------------
    const presence = $("presence");
    function showPresence(online) {
      presence.checked = !!online;
      $("presence-text").textContent = online ? "Online" : "Offline";
      document.body.classList.toggle("is-offline", !online);
    }
    presence.addEventListener("change", async () => {
      const want = presence.checked;
      try {
        await api("POST", "/presence", { online: want });
        showPresence(want);
        announce(want ? "You are online." : "You are offline.");
      } catch (e) {
        showPresence(!want);
        if (e.status !== 401) actionStatus("Presence not changed: " + e.message, true);
      }
    });

    // -- sign out ------------------------------------------------------------------------------
    $("logout-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      try {
        await fetch(cfg.logoutUrl, { method: "POST", credentials: "same-origin", headers: { [cfg.csrfHeader]: readCookie(cfg.csrfCookie) } });
      } finally {
        window.location.assign(cfg.loginUrl);
      }
    });

    // -- live events ---------------------------------------------------------------------------
    // EventSource reconnects by itself and sends Last-Event-ID, so a dropped connection misses
    // nothing; after a reconnect the open transcript is re-read from its last id anyway.
    function listen() {
      const stream = new EventSource(cfg.eventsUrl, { withCredentials: true });
      const connection = $("connection");
      stream.onopen = () => {
        connection.textContent = "Live";
        connection.classList.remove("topbar__connection--down");
        document.body.dataset.live = "true";
        loadQueueSoon();
        if (state.selected) loadMessages();
      };
      stream.onerror = () => {
        connection.textContent = "Reconnecting…";
        connection.classList.add("topbar__connection--down");
        document.body.dataset.live = "false";
      };
      stream.addEventListener("conversation", (event) => {
        let data;
        try {
          data = JSON.parse(event.data);
        } catch (e) {
          return;
        }
        loadQueueSoon();
        if (data.conversation_id === state.selected) loadDetail();
      });
      stream.addEventListener("message", (event) => {
        let data;
        try {
          data = JSON.parse(event.data);
        } catch (e) {
          return;
        }
        if (data.conversation_id === state.selected && data.message) addMessage(data.message, true);
        loadQueueSoon();
      });
    }

    async function start() {
      try {
        state.me = await api("GET", "/me");
      } catch (e) {
        if (e.status !== 401) $("connection").textContent = "The console could not start: " + e.message;
        return;
      }
      $("me-name").textContent = state.me.name + (state.me.role ? " · " + state.me.role : "");
      $("logout-csrf").value = readCookie(cfg.csrfCookie);
      showPresence(state.me.online);
      await Promise.all([loadQueue(), loadCanned()]);
      listen();
      window.setInterval(tick, 1000);
      window.setInterval(refreshPending, 5000);
      // a slow safety net: deadlines move into breach with no event to announce it
      window.setInterval(loadQueue, 30000);
    }
    start();
  }

  if (document.body.dataset.page === "login") loginPage();
  else if (document.body.dataset.page === "console") consolePage();
})();
