// Proximity's page script: CSRF header on htmx requests, theme toggle, elapsed-time counters, toasts and
// confirmations. No inline scripts and no eval, so the page runs under a strict 'self' CSP.
(() => {
  const csrf = () => document.querySelector('meta[name="csrf-token"]')?.getAttribute("content") ?? "";

  document.addEventListener("htmx:config:request", (evt) => {
    const headers = evt.detail?.ctx?.request?.headers;
    if (headers) headers["x-csrf-token"] = csrf();
  });

  // A request that never reached the server (network down, server restarting): say so.
  document.addEventListener("htmx:error", (evt) => {
    const status = evt.detail?.ctx?.response?.status;
    if (status) return; // the server answered; its toast or inline error is already on the page
    toast("The server could not be reached; check your connection and try again.");
  });

  function toast(message) {
    const box = document.getElementById("toasts");
    if (!box) return;
    const el = document.createElement("div");
    el.className = "toast error";
    el.setAttribute("role", "alert");
    const text = document.createElement("span");
    text.textContent = message;
    const close = document.createElement("button");
    close.type = "button";
    close.className = "toast-close";
    close.setAttribute("aria-label", "Dismiss");
    close.textContent = "×";
    el.append(text, close);
    box.append(el);
  }

  document.addEventListener("click", (evt) => {
    const target = evt.target instanceof Element ? evt.target : null;
    const close = target?.closest(".toast-close");
    if (close) {
      close.closest(".toast")?.remove();
      return;
    }
    const toggle = target?.closest("#theme-toggle");
    if (toggle) {
      const root = document.documentElement;
      const current =
        root.getAttribute("data-theme") ||
        (window.matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light");
      const next = current === "dark" ? "light" : "dark";
      root.setAttribute("data-theme", next);
      // biome-ignore lint/suspicious/noDocumentCookie: a UI preference the server reads to render the theme (no flash); cookieStore is not in every browser.
      document.cookie = `proximity_theme=${next}; path=/; max-age=31536000; samesite=lax`;
      themeLabel();
    }
  });

  // The theme button offers the other theme: "Light mode" while dark (chosen, or the system's), else "Dark mode".
  function themeLabel() {
    const toggle = document.getElementById("theme-toggle");
    if (!toggle) return;
    const chosen = document.documentElement.getAttribute("data-theme");
    const dark = chosen ? chosen === "dark" : window.matchMedia("(prefers-color-scheme: dark)").matches;
    toggle.textContent = dark ? "Light mode" : "Dark mode";
    toggle.setAttribute("aria-pressed", String(dark));
  }
  document.addEventListener("DOMContentLoaded", themeLabel);
  window.matchMedia("(prefers-color-scheme: dark)").addEventListener("change", themeLabel);

  // A confirmation toast goes by itself after a while (errors stay until dismissed): it must not sit over
  // a form's button on a phone.
  const fade = new MutationObserver((records) => {
    for (const r of records)
      for (const node of r.addedNodes)
        if (node instanceof Element && node.matches(".toast:not(.error)"))
          setTimeout(() => node.remove(), 6000);
  });
  document.addEventListener("DOMContentLoaded", () => {
    const box = document.getElementById("toasts");
    if (box) fade.observe(box, { childList: true });
  });

  // Plain (non-htmx) forms that destroy something ask first.
  document.addEventListener("submit", (evt) => {
    const form = evt.target;
    if (!(form instanceof HTMLFormElement)) return;
    const question = form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) evt.preventDefault();
  });

  // Elapsed time since data-since (ISO), and stop counting once data-until is set.
  function pad(n) {
    return String(n).padStart(2, "0");
  }
  function tick() {
    for (const el of document.querySelectorAll("[data-since]")) {
      const since = Date.parse(el.getAttribute("data-since"));
      const until = el.getAttribute("data-until") ? Date.parse(el.getAttribute("data-until")) : Date.now();
      if (Number.isNaN(since)) continue;
      const s = Math.max(0, Math.round((until - since) / 1000));
      el.textContent =
        s >= 3600
          ? `${Math.floor(s / 3600)}:${pad(Math.floor(s / 60) % 60)}:${pad(s % 60)}`
          : `${pad(Math.floor(s / 60))}:${pad(s % 60)}`;
    }
  }
  setInterval(tick, 1000);
  document.addEventListener("DOMContentLoaded", tick);
  document.addEventListener("htmx:after:swap", tick);

  // Keep a live log scrolled to its end while new lines arrive.
  const observer = new MutationObserver((records) => {
    for (const r of records) {
      const log = r.target instanceof Element ? r.target.closest(".live-log") : null;
      if (log) log.scrollTop = log.scrollHeight;
    }
  });
  document.addEventListener("DOMContentLoaded", () => {
    observer.observe(document.body, { childList: true, subtree: true });
  });
})();
