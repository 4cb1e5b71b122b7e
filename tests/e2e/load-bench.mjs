// The widget's load timing in headless Chromium, printed as numbers (a benchmark, not a test):
// `cargo xtask bench` runs it. Each run is a fresh browser context (cold cache) on a host page
// with nothing but the snippet, served by a real `ito serve` on loopback.
//
// How it measures without changing the loader: an init script watches the loader's first read
// of `window.Ito` (its first statement) and its assignment (the end of its synchronous part),
// and wraps `Ito._boot` (drawing the launcher once the site's settings arrive).
import { launchBrowser, startServer } from "./harness.mjs";

const RUNS = Number(process.env.ITO_BENCH_RUNS ?? 15);

const probe = () => {
  const t = (window.__ito = {});
  let api;
  Object.defineProperty(window, "Ito", {
    configurable: true,
    get() {
      if (t.start === undefined) t.start = performance.now();
      return api;
    },
    set(value) {
      t.syncEnd = performance.now();
      api = value;
      const boot = value._boot;
      value._boot = function (settings) {
        const before = performance.now();
        t.settings = before - t.syncEnd;
        boot(settings);
        t.boot = performance.now() - before;
        t.drawn = performance.now();
        requestAnimationFrame(() => requestAnimationFrame(() => (t.painted = performance.now())));
      };
      value("on", "ready", () => (t.ready = performance.now()));
    },
  });
  document.addEventListener("click", () => (t.click ??= performance.now()), true);
};

function stats(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p) => sorted[Math.min(sorted.length - 1, Math.round((sorted.length - 1) * p))];
  return { median: at(0.5), p90: at(0.9), max: sorted[sorted.length - 1] };
}

const server = await startServer();
const browser = await launchBrowser();
const samples = { script: [], boot: [], settings: [], drawn: [], visible: [], interactive: [] };
let wire = null;
try {
  for (let run = 0; run < RUNS; run++) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    await context.addInitScript(probe);
    const page = await context.newPage();
    await page.route(server.url + "/bench-host", (route) =>
      route.fulfill({
        contentType: "text/html",
        body: `<!doctype html><title>bench</title><p>Host page</p><script src="/ito.js" data-site="demo" async></script>`,
      }),
    );
    await page.goto(server.url + "/bench-host");
    const launcher = page.locator("[data-ito] button.launcher");
    await launcher.waitFor({ state: "visible" });
    // The first click, before the idle-time preload could start the iframe: a cold open.
    await launcher.click();
    await page.waitForFunction(() => window.__ito.ready !== undefined && window.__ito.painted !== undefined);
    const t = await page.evaluate(() => window.__ito);
    samples.script.push(t.syncEnd - t.start + t.boot);
    samples.boot.push(t.boot);
    samples.settings.push(t.settings);
    samples.drawn.push(t.drawn - t.start);
    samples.visible.push(t.painted - t.start);
    samples.interactive.push(t.ready - t.click);
    if (!wire) {
      // What the iframe brought over the network, compressed, the knowledge base included.
      const frame = page.frames().find((f) => f.url().includes("/embed/"));
      await frame.waitForFunction(() =>
        performance.getEntriesByType("resource").some((e) => e.name.includes("/kb/")),
      );
      wire = await frame.evaluate(() => {
        const entries = [...performance.getEntriesByType("navigation"), ...performance.getEntriesByType("resource")];
        return entries.map((e) => [e.name.replace(location.origin, ""), e.encodedBodySize]);
      });
    }
    await context.close();
  }
} finally {
  await browser.close();
  await server.stop();
}

const rows = [
  ["loader main-thread work (script + drawing)", samples.script, "budget 2 ms"],
  ["  of which drawing the launcher", samples.boot, ""],
  ["waiting for the site's settings (settings.js)", samples.settings, ""],
  ["launcher in the DOM, from the loader's start", samples.drawn, ""],
  ["launcher painted, from the loader's start", samples.visible, "budget 50 ms"],
  ["panel interactive, from the first click (cold cache)", samples.interactive, "budget 300 ms"],
];
console.log(`load timing over ${RUNS} cold runs, headless Chromium, loopback (ms)`);
console.log(`${"measure".padEnd(54)} ${"median".padStart(8)} ${"p90".padStart(8)} ${"max".padStart(8)}`);
for (const [name, values, budget] of rows) {
  const s = stats(values);
  const f = (v) => v.toFixed(1).padStart(8);
  console.log(`${name.padEnd(54)} ${f(s.median)} ${f(s.p90)} ${f(s.max)}   ${budget}`);
}
console.log("\nwhat the iframe downloaded on a cold open, compressed as served (bytes):");
for (const [name, bytes] of wire) console.log(`  ${String(bytes).padStart(8)}  ${name.split("?")[0]}`);
console.log(`  ${String(wire.reduce((sum, [, b]) => sum + b, 0)).padStart(8)}  total (budget 200 KB)`);
