/* Ito loader: the only script a host page includes.
 *
 *   <script src="https://chat.example.com/ito.js" data-site="acme" async></script>
 *
 * Plain JavaScript with no dependencies. It asks the Ito server for its site's public
 * settings, draws the launcher in a shadow root (host CSS cannot reach it), and creates the
 * chat iframe (served from the Ito origin) when the page is idle or the visitor reaches for
 * the launcher. Frames to and from the iframe are JSON strings {"ito":1,"type":...} (see
 * crates/protocol/src/embed.rs), always sent to and accepted from the exact Ito origin.
 */
(function () {
  "use strict";
  var w = window;
  var d = document;
  var previous = w.Ito;
  // Several snippets on one page make one widget.
  if (previous && previous._loaded) return;

  var VERSION = 1;
  var script = d.currentScript;
  var site = script && script.getAttribute("data-site");
  var fail = function (message) {
    console.error("Ito: " + message);
  };
  if (!script || !script.src) return fail("load ito.js with a <script src=...> tag");
  if (!site) return fail('add data-site="your-site-id" to the <script> tag');
  if (!isSiteId(site)) {
    return fail('data-site "' + site + '" is not a site id: use a-z, 0-9, "-" and "_"');
  }

  // `src` reads back absolute, so its first three "/"-separated parts are the origin.
  var base = script.src.split("/").slice(0, 3).join("/");
  var queued = (previous && previous.q) || [];
  var listeners = {};
  var settings = null;
  var text; // the loader's words in the visitor's language, from the settings
  // The loader's drawn state. `cargo xtask build` renames these property names when it
  // minifies (see xtask/src/build.rs): never reuse them as names in data from outside.
  var ui = null; // { host, root, launcher, badge, panel, bubble, bubbleText, frame, ready, nudged }
  var isOpen = false;

  // Lowercase letters, digits, "-" and "_", at most 64, not starting with "-" or "_" (the
  // server's SiteId rule). A loop: cheaper than compiling a regular expression at page load.
  function isSiteId(id) {
    if (id.length > 64) return false;
    for (var i = 0; i < id.length; i++) {
      var c = id.charCodeAt(i);
      var letterOrDigit = (c >= 97 && c <= 122) || (c >= 48 && c <= 57);
      if (!letterOrDigit && (i === 0 || (c !== 45 && c !== 95))) return false;
    }
    return true;
  }

  function emit(event, detail) {
    (listeners[event] || []).forEach(function (fn) {
      try {
        fn(detail);
      } catch (e) {
        console.error("Ito: an '" + event + "' listener threw", e);
      }
    });
  }

  function usage(call) {
    fail("write Ito(" + call + ")");
  }

  var commands = {
    open: function () {
      setOpen(true);
    },
    close: function () {
      setOpen(false);
    },
    toggle: function () {
      setOpen(!isOpen);
    },
    on: function (event, fn) {
      if (typeof fn !== "function") return usage("'on', 'event', function");
      (listeners[event] = listeners[event] || []).push(fn);
    },
    identify: function (visitor) {
      if (!visitor || !visitor.id || typeof visitor.id !== "string") return usage("'identify', {id: '...'}");
      send({ type: "identify", visitor: visitor });
    },
    attributes: function (attributes) {
      if (!attributes || typeof attributes !== "object") return usage("'attributes', {name: value}");
      send({ type: "attributes", attributes: attributes });
    },
    // The host's user logged out: the widget forgets their thread (Intercom's `shutdown`).
    reset: function () {
      send({ type: "reset" });
    },
    article: function (id) {
      if (typeof id !== "string" || !id) return usage("'article', 'article-id'");
      setOpen(true);
      send({ type: "article", id: id });
    }
  };

  function run(args) {
    var command = commands[args[0]];
    if (!command) return fail("unknown command " + JSON.stringify(args[0]));
    // Commands that draw wait for the settings; listeners can be added at once.
    if (!ui && args[0] !== "on") return queued.push(args);
    command.apply(null, Array.prototype.slice.call(args, 1));
  }

  var api = function () {
    run(arguments);
  };
  api._loaded = true;
  // Called by sites/{id}/settings.js with the site's public settings.
  api._boot = function (received) {
    if (settings || !received || received.site !== site) return;
    settings = received;
    // The visitor's language when the site has words for it, else the site's.
    var all = received.text;
    text = all[(navigator.language || "").split("-")[0]] || all[received.locale];
    draw();
    var pending = queued;
    queued = [];
    pending.forEach(run);
    preloadWhenIdle();
  };
  w.Ito = api;

  var settingsScript = d.createElement("script");
  settingsScript.async = true;
  settingsScript.src = base + "/sites/" + site + "/settings.js";
  settingsScript.onerror = function () {
    fail(
      'unknown site "' + site + '": ' + base + " has no such site or cannot be reached (check data-site and the server's ito.toml)"
    );
  };
  (d.head || d.documentElement).appendChild(settingsScript);

  function el(tag, attributes, children) {
    var node = d.createElement(tag);
    for (var name in attributes) node.setAttribute(name, attributes[name]);
    (children || []).forEach(function (child) {
      node.appendChild(child);
    });
    return node;
  }

  // The launcher's CSS, and the rest (panel, badge, nudge), parsed only when drawn.
  function styles(theme) {
    var side = theme.position === "left" ? "left" : "right";
    // Colours are validated by the server as #rgb or #rrggbb and offsets are numbers, so all
    // are safe in CSS.
    var x = (theme.offset_x | 0) + "px";
    var y = theme.offset_y | 0;
    var above = "position:fixed;bottom:" + (y + 68) + "px;" + side + ":" + x + ";";
    return [
      ":host{all:initial}" +
      ".launcher{position:fixed;bottom:" + y + "px;" + side + ":" + x + ";width:56px;height:56px;" +
      "border:0;border-radius:50%;padding:0;margin:0;cursor:pointer;color:" + theme.on_accent + ";background:" + theme.accent_color + ";" +
      "box-shadow:0 4px 14px rgba(0,0,0,.25);z-index:2147483647}" +
      ".launcher:focus-visible{outline:3px solid " + theme.accent_color + ";outline-offset:3px}" +
      // Icons drawn in CSS: a speech bubble, a question mark in a ring, a cross when open.
      ".launcher::before,.launcher::after{content:'';position:absolute;box-sizing:border-box}" +
      ".chat::before{left:16px;top:17px;width:24px;height:18px;border:2px solid;border-radius:5px}" +
      ".chat::after{left:19px;top:33px;border:5px solid transparent;border-top-color:currentColor;border-left-color:currentColor}" +
      ".help::before{left:15px;top:15px;width:26px;height:26px;border:2px solid;border-radius:50%}" +
      ".help::after{content:'?';inset:0;font:700 16px/56px system-ui,sans-serif;text-align:center}" +
      ".open::before,.open::after{content:'';inset:auto;left:17px;top:27px;width:22px;height:2px;border:0;background:currentColor;transform:rotate(45deg)}" +
      ".open::after{transform:rotate(-45deg)}" +
      "[hidden]{display:none!important}",
      ".panel{" + above + "width:380px;" +
      "height:min(640px,calc(100vh - " + (y + 88) + "px));border-radius:16px;overflow:hidden;" +
      "box-shadow:0 8px 32px rgba(0,0,0,.25);background:#fff;z-index:2147483647}" +
      ".badge{position:absolute;top:-4px;right:-4px;min-width:20px;height:20px;padding:0 5px;" +
      "box-sizing:border-box;border-radius:10px;background:#b91c1c;color:#fff;font:700 12px/20px system-ui,sans-serif;text-align:center}" +
      ".nudge{" + above + "max-width:260px;display:flex;align-items:flex-start;" +
      "padding:10px;border-radius:12px;background:#fff;color:#1f2937;" +
      "box-shadow:0 4px 18px rgba(0,0,0,.2);font:14px/1.4 system-ui,sans-serif;z-index:2147483647}" +
      ".nudge button{all:unset;cursor:pointer}.nudge button:focus-visible{outline:2px solid " + theme.accent_color + "}" +
      ".nudge-close{padding:0 4px;color:#4b5563;font-size:18px}" +
      ".frame{width:100%;height:100%;border:0;display:block}" +
      "@media (max-width:639px){.panel{inset:0;width:100%;height:100%;border-radius:0}}"
    ];
  }

  function addStyles(root, css) {
    if (root.adoptedStyleSheets !== undefined && w.CSSStyleSheet) {
      // A constructed sheet also works under a host CSP that forbids inline <style>.
      var sheet = new CSSStyleSheet();
      sheet.replaceSync(css);
      root.adoptedStyleSheets = root.adoptedStyleSheets.concat(sheet);
    } else {
      root.appendChild(el("style", {}, [d.createTextNode(css)]));
    }
  }

  // Proactive help: rage clicks, time on page, URL rules; once per visit, never over the panel.
  var NUDGED = "ito:nudged:" + site;
  function nudgedThisVisit() {
    try {
      return sessionStorage.getItem(NUDGED) === "1";
    } catch (e) {
      return ui.nudged;
    }
  }
  function watchForTrouble(nudge) {
    if (!nudge) return;
    var here = location.href;
    if (nudge.url_contains.length && !nudge.url_contains.some(function (part) { return here.indexOf(part) >= 0; })) return;
    if (nudge.after_seconds) setTimeout(showNudge, nudge.after_seconds * 1000);
    if (!nudge.rage_clicks) return;
    var clicks = [];
    d.addEventListener("click", function (event) {
      if (event.target === ui.host) return; // our own launcher and panel
      var now = Date.now();
      clicks = clicks.filter(function (c) {
        return now - c.t < 1000 && Math.abs(c.x - event.clientX) < 30 && Math.abs(c.y - event.clientY) < 30;
      });
      clicks.push({ t: now, x: event.clientX, y: event.clientY });
      if (clicks.length >= 3) {
        clicks = [];
        showNudge();
      }
    }, true);
  }
  function showNudge() {
    drawRest();
    if (isOpen || nudgedThisVisit() || !ui.bubble.hidden) return;
    ui.nudged = true;
    try {
      sessionStorage.setItem(NUDGED, "1");
    } catch (e) {}
    ui.bubbleText.textContent = text.nudge;
    ui.bubble.hidden = false;
  }

  function draw() {
    // Inline !important beats any host stylesheet, even `* { all: unset !important }`.
    var host = el("div", { "data-ito": "", style: "all:initial!important;display:block!important" });
    var root = host.attachShadow({ mode: "open" });
    addStyles(root, styles(settings.theme)[0]);
    var launcher = el("button", {
      type: "button",
      class: "launcher " + (settings.theme.icon === "help" ? "help" : "chat"),
      "aria-label": text.open,
      "aria-expanded": "false"
    });
    launcher.addEventListener("click", function () {
      setOpen(!isOpen);
    });
    launcher.addEventListener("pointerenter", createFrame);
    launcher.addEventListener("focus", createFrame);
    root.appendChild(launcher);
    (d.body || d.documentElement).appendChild(host);
    ui = { host: host, root: root, launcher: launcher, frame: null, ready: false, nudged: false };
  }

  // Everything but the launcher, made when first needed or when the page is idle, so the
  // host page pays for the launcher alone while it loads.
  function drawRest() {
    if (ui.panel) return;
    addStyles(ui.root, styles(settings.theme)[1]);
    var badge = el("span", { class: "badge", "aria-hidden": "true", hidden: "" });
    ui.launcher.appendChild(badge);
    var panel = el("div", { class: "panel", hidden: "" });
    var nudgeText = el("button", { type: "button", class: "nudge-text" });
    var nudgeClose = el("button", { type: "button", class: "nudge-close", "aria-label": text.dismiss }, [d.createTextNode("\u00d7")]);
    var nudge = el("div", { class: "nudge", role: "status", hidden: "" }, [nudgeText, nudgeClose]);
    nudgeText.addEventListener("click", function () {
      setOpen(true);
    });
    nudgeClose.addEventListener("click", function () {
      nudge.hidden = true;
    });
    ui.root.insertBefore(nudge, ui.launcher);
    ui.root.insertBefore(panel, nudge);
    ui.badge = badge;
    ui.panel = panel;
    ui.bubble = nudge;
    ui.bubbleText = nudgeText;
    w.addEventListener("message", onMessage);
    watchForTrouble(settings.nudge);
  }

  function createFrame() {
    drawRest();
    if (ui.frame) return;
    var query = "?origin=" + encodeURIComponent(location.origin) + "&locale=" + encodeURIComponent(settings.locale);
    ui.frame = el("iframe", {
      class: "frame",
      title: "Chat",
      src: base + "/embed/" + site + query
    });
    ui.panel.appendChild(ui.frame);
  }

  function preloadWhenIdle() {
    var later = function () {
      if (w.requestIdleCallback) w.requestIdleCallback(createFrame, { timeout: 3000 });
      else setTimeout(createFrame, 1);
    };
    if (d.readyState === "complete") later();
    else w.addEventListener("load", later);
  }

  // Frames for the widget wait until it is ready, then go in order.
  var outbox = [];
  function send(frame) {
    frame.ito = VERSION;
    outbox.push(JSON.stringify(frame));
    createFrame();
    flush();
  }
  function flush() {
    if (!ui.frame || !ui.ready) return;
    outbox.splice(0).forEach(function (text) {
      ui.frame.contentWindow.postMessage(text, base);
    });
  }
  function post(type) {
    if (ui.frame && ui.ready) send({ type: type });
  }

  var unread = 0;
  function setUnread(count) {
    drawRest();
    unread = count;
    ui.badge.textContent = count > 9 ? "9+" : String(count);
    ui.badge.hidden = !count;
    ui.launcher.setAttribute("aria-label", labelFor(isOpen));
    emit("unread", count);
  }
  function labelFor(open) {
    if (open) return text.close;
    return unread ? text.unread.replace("{count}", unread) : text.open;
  }

  // On a phone the open panel covers the page, which must not scroll behind it.
  var savedOverflow = null;
  function lockScroll(lock) {
    if (lock === !!savedOverflow) return;
    var targets = [d.documentElement, d.body || d.documentElement];
    if (lock) {
      savedOverflow = targets.map(function (t) {
        var before = t.style.overflow;
        t.style.setProperty("overflow", "hidden", "important");
        return before;
      });
    } else {
      targets.forEach(function (t, i) {
        t.style.overflow = savedOverflow[i];
      });
      savedOverflow = null;
    }
  }

  function setOpen(open) {
    if (open === isOpen) return;
    isOpen = open;
    lockScroll(open && !!w.matchMedia && w.matchMedia("(max-width: 639px)").matches);
    if (open) createFrame();
    ui.panel.hidden = !open;
    if (open) ui.bubble.hidden = true;
    ui.launcher.setAttribute("aria-expanded", String(open));
    ui.launcher.classList.toggle("open", open);
    if (open && unread) setUnread(0);
    ui.launcher.setAttribute("aria-label", labelFor(open));
    if (open) post("open");
    else ui.launcher.focus();
    emit(open ? "open" : "close");
  }

  function onMessage(event) {
    if (event.origin !== base || !ui.frame || event.source !== ui.frame.contentWindow) return;
    var frame;
    try {
      frame = JSON.parse(event.data);
    } catch (e) {
      return;
    }
    if (!frame || frame.ito !== VERSION) return;
    if (frame.type === "ready") {
      ui.ready = true;
      send({ type: "page", url: location.href, title: d.title });
      if (isOpen) post("open");
      emit("ready");
    } else if (frame.type === "close") {
      setOpen(false);
    } else if (frame.type === "message") {
      if (!isOpen && frame.author !== "visitor") setUnread(unread + 1);
      emit("message", { author: frame.author });
    } else if (frame.type === "handoff" || frame.type === "survey") {
      emit(frame.type, frame.detail);
    }
  }
})();
