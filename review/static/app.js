// Keyboard shortcuts for reviewing evidence. Every shortcut presses a
// button that also works without JavaScript; this file only saves the
// mouse trip.
(function () {
  "use strict";
  var cards = [];
  var current = -1;

  function typing(el) {
    if (!el) return false;
    var t = el.tagName;
    return t === "INPUT" || t === "TEXTAREA" || t === "SELECT" || el.isContentEditable;
  }

  function focusCard(i) {
    if (!cards.length) return;
    i = Math.max(0, Math.min(cards.length - 1, i));
    if (current >= 0 && cards[current]) cards[current].classList.remove("is-current");
    current = i;
    var c = cards[i];
    c.classList.add("is-current");
    c.focus({ preventScroll: true });
    c.scrollIntoView({ block: "center" });
    if (history.replaceState) history.replaceState(null, "", "#" + c.id);
  }

  // step finds the card after (dir 1) or before (dir -1) the current
  // one; with no current card, the first card after or before whatever
  // has the focus (a sub-section after "m", a score form), so that j
  // carries on from where the reviewer is.
  function step(dir) {
    var c = currentCard();
    if (c) return cards.indexOf(c) + dir;
    var from = document.activeElement;
    if (!from || from === document.body) return dir > 0 ? 0 : cards.length - 1;
    if (dir > 0) {
      for (var i = 0; i < cards.length; i++) {
        if (from.compareDocumentPosition(cards[i]) & Node.DOCUMENT_POSITION_FOLLOWING) return i;
      }
      return cards.length - 1;
    }
    for (var k = cards.length - 1; k >= 0; k--) {
      if (from.compareDocumentPosition(cards[k]) & Node.DOCUMENT_POSITION_PRECEDING) return k;
    }
    return 0;
  }

  function currentCard() {
    var a = document.activeElement && document.activeElement.closest && document.activeElement.closest("[data-card]");
    if (a) { current = cards.indexOf(a); return a; }
    var el = document.activeElement;
    if (el && el !== document.body) return null;
    return current >= 0 ? cards[current] : null;
  }

  function currentSub() {
    var c = currentCard();
    if (c) return c.closest("[data-sub]");
    var a = document.activeElement && document.activeElement.closest && document.activeElement.closest("[data-sub]");
    if (a) return a;
    var subs = document.querySelectorAll("[data-sub]");
    for (var i = 0; i < subs.length; i++) {
      var r = subs[i].getBoundingClientRect();
      if (r.bottom > 80) return subs[i];
    }
    return null;
  }

  function press(scope, key) {
    if (!scope) return false;
    var f = scope.querySelector('form[data-key="' + key + '"]');
    if (!f) return false;
    if (f.requestSubmit) f.requestSubmit(); else f.submit();
    return true;
  }

  function toggleHelp() {
    var d = document.querySelector("[data-keys-help]");
    if (!d) { location.href = "/keys"; return; }
    d.open = !d.open;
    if (d.open) { d.scrollIntoView({ block: "nearest" }); d.querySelector("summary").focus(); }
  }

  // Single-key shortcuts can be turned off (WCAG 2.1.4), for people whose
  // speech input or screen reader sends letters as commands.
  function enabled() {
    try { return localStorage.getItem("lo-keys") !== "off"; } catch (err) { return true; }
  }

  function showToggles() {
    var on = enabled();
    Array.prototype.forEach.call(document.querySelectorAll("[data-keys-toggle]"), function (b) {
      b.hidden = false;
      b.setAttribute("aria-pressed", on ? "true" : "false");
      b.textContent = on ? "Turn single-key shortcuts off" : "Turn single-key shortcuts on";
    });
    Array.prototype.forEach.call(document.querySelectorAll("[data-keys-state]"), function (el) {
      el.textContent = on ? "Shortcuts are on." : "Shortcuts are off.";
    });
  }

  document.addEventListener("click", function (e) {
    var b = e.target.closest && e.target.closest("[data-keys-toggle]");
    if (!b) return;
    try { localStorage.setItem("lo-keys", enabled() ? "off" : "on"); } catch (err) { /* private mode: stays on */ }
    showToggles();
  });

  document.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey || typing(e.target) || !enabled()) return;
    var k = e.key, done = true;
    switch (k) {
      case "j": focusCard(step(1)); break;
      case "k": focusCard(step(-1)); break;
      case "a": case "r": case "u": case "b":
        done = press(currentCard(), k); break;
      case "m":
        done = press(currentSub(), "m"); break;
      case "s":
        var sub = currentSub(), f = sub && sub.querySelector(".score-form input[type=radio]");
        if (f) { (sub.querySelector(".score-form input[type=radio]:checked") || f).focus(); } else done = false;
        break;
      case "?": toggleHelp(); break;
      default: done = false;
    }
    if (done) e.preventDefault();
  });

  document.addEventListener("DOMContentLoaded", function () {
    cards = Array.prototype.slice.call(document.querySelectorAll("[data-card]"));
    cards.forEach(function (c, i) {
      c.addEventListener("focusin", function () {
        if (current >= 0 && cards[current]) cards[current].classList.remove("is-current");
        current = i; c.classList.add("is-current");
      });
    });
    showToggles();
    document.documentElement.setAttribute("data-keys", "ready");
    var es = document.querySelector("[data-autofocus]");
    if (es) { es.focus(); return; }
    var id = location.hash.slice(1);
    if (id) {
      var t = document.getElementById(id);
      if (t && t.hasAttribute("data-card")) { focusCard(cards.indexOf(t)); }
      else if (t) { t.setAttribute("tabindex", "-1"); t.focus(); }
    }
  });
})();
