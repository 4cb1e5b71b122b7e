// What a host page's own scripts can do with Ito('...'): open an article, identify the visitor,
// add attributes, listen to events; and what they learn (who wrote a line, never its text).
import assert from "node:assert/strict";
import { test } from "node:test";
import { serverAndBrowser } from "./harness.mjs";

const env = serverAndBrowser();

const SNIPPET = `<script>
  window.Ito = window.Ito || function () { (Ito.q = Ito.q || []).push(arguments) };
  window.events = [];
  for (const name of ["ready", "open", "close", "message", "handoff", "unread"]) {
    Ito("on", name, (detail) => events.push(detail === undefined ? [name] : [name, detail]));
  }
</script><script src="/ito.js" data-site="demo" async></script>`;

async function hostPage(title, body = "") {
  const context = await env.browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await page.route(env.server.url + "/api-host", (route) =>
    route.fulfill({ contentType: "text/html", body: `<!doctype html><title>${title}</title>${body}${SNIPPET}` }),
  );
  await page.goto(env.server.url + "/api-host");
  return { context, page, widget: page.frameLocator("[data-ito] iframe") };
}

const events = (page) => page.evaluate(() => window.events);
const widgetFrame = (page) => page.frames().find((f) => f.url().includes("/embed/demo"));

test("Ito('article') opens the panel on that article; events carry no message text", async () => {
  const { context, page, widget } = await hostPage("Shop");
  await page.evaluate(() => Ito("article", "return-policy"));
  await widget.locator(".ito-article-card__title", { hasText: "Our return policy" }).waitFor();
  await page.waitForFunction(() => events.some((e) => e[0] === "message"));
  const seen = await events(page);
  assert.deepEqual(seen.find((e) => e[0] === "message"), ["message", { author: "bot" }]);
  assert.ok(seen.some((e) => e[0] === "ready") && seen.some((e) => e[0] === "open"), JSON.stringify(seen));

  await widget.getByRole("button", { name: "Talk to a person" }).click();
  await page.waitForFunction(() => events.some((e) => e[0] === "handoff"));
  await context.close();
});

test("identify, attributes and the page trail reach the widget as data; hostile titles stay text", async () => {
  const hostile = `<img src=x onerror="window.parent.__itoXss=1">Cart`;
  const { context, page, widget } = await hostPage(hostile.replace(/</g, "&lt;"));
  await page.evaluate(() => {
    Ito("identify", { id: "u-42", name: "Ann", email: "ann@example.com" });
    Ito("attributes", { plan: "pro", cart_total: 120, nested: { no: 1 } });
    Ito("open");
  });
  const composer = widget.locator("textarea.ito-composer__input");
  await composer.fill("hello");
  await composer.press("Enter");
  await page.waitForFunction(() => events.filter((e) => e[0] === "message").length >= 2);
  const stored = JSON.parse(await widgetFrame(page).evaluate(() => localStorage.getItem("ito.demo.context")));
  assert.equal(stored.visitor.id, "u-42");
  assert.deepEqual(stored.attributes, { plan: "pro", cart_total: 120 });
  assert.equal(stored.pages.at(-1).url, env.server.url + "/api-host");
  assert.equal(stored.pages.at(-1).title, hostile, "the title is kept as the text it is");
  assert.equal(await page.evaluate(() => window.__itoXss), undefined, "nothing ran");
  await context.close();
});

test("messages while the panel is closed show an unread badge until it opens", async () => {
  const { context, page } = await hostPage("Shop");
  await page.waitForFunction(() => events.some((e) => e[0] === "ready"));
  const launcher = page.locator("[data-ito] button.launcher");
  const badge = page.locator("[data-ito] .badge");
  assert.equal(await badge.isVisible(), false);
  // A line from someone else arriving while closed (an agent's reply, with the live chat).
  await widgetFrame(page).evaluate(
    (hostOrigin) => parent.postMessage(JSON.stringify({ ito: 1, type: "message", author: "agent" }), hostOrigin),
    env.server.url,
  );
  await badge.waitFor({ state: "visible" });
  assert.equal(await badge.textContent(), "1");
  assert.equal(await launcher.getAttribute("aria-label"), "Open chat, 1 unread");
  await launcher.click();
  await badge.waitFor({ state: "hidden" });
  const unread = (await events(page)).filter((e) => e[0] === "unread").map((e) => e[1]);
  assert.deepEqual(unread, [1, 0]);
  await context.close();
});

test("Ito('reset') on the host's logout forgets the stored thread, token and context", async () => {
  const { context, page, widget } = await hostPage("Shop");
  await page.evaluate(() => {
    Ito("identify", { id: "u-7", name: "Ann" });
    Ito("open");
  });
  const composer = widget.locator("textarea.ito-composer__input");
  await composer.fill("where is my parcel");
  await composer.press("Enter");
  await widget.locator(".ito-message-list__line--visitor", { hasText: "where is my parcel" }).waitFor();
  await widgetFrame(page).waitForFunction(() => localStorage.getItem("ito.demo.thread") !== null);

  await page.evaluate(() => Ito("reset"));
  // The widget starts again from nothing: its greeting, no thread, nothing stored.
  await page.waitForFunction(() => {
    const frame = document.querySelector("[data-ito]").shadowRoot.querySelector("iframe");
    return frame && frame.contentWindow;
  });
  await widget.locator(".ito-message-list__line--visitor").first().waitFor({ state: "detached" });
  const stored = await widgetFrame(page).evaluate(() =>
    ["thread", "context", "live"].map((k) => localStorage.getItem("ito.demo." + k) ?? sessionStorage.getItem("ito.demo." + k)),
  );
  assert.deepEqual(stored.slice(0, 1).concat(stored.slice(2)), [null, null], JSON.stringify(stored));
  // And it stays forgotten after a reload.
  await page.reload();
  await page.evaluate(() => Ito("open"));
  await widget.locator("textarea.ito-composer__input").waitFor();
  assert.equal(await widget.locator(".ito-message-list__line--visitor").count(), 0);
  await context.close();
});

test("the widget takes frames only from the page that framed it, not from another window of its origin", async () => {
  const { context, page, widget } = await hostPage("Shop");
  await page.evaluate(() => Ito("open"));
  await widget.locator("textarea.ito-composer__input").waitFor();
  // A popup on the host's origin finds the widget's frame and sends it a well-formed frame.
  await context.route(env.server.url + "/popup", (route) =>
    route.fulfill({ contentType: "text/html", body: "<!doctype html><title>popup</title>" }),
  );
  const [popup] = await Promise.all([
    page.waitForEvent("popup"),
    page.evaluate(() => window.open("/popup", "_blank")),
  ]);
  await popup.waitForLoadState();
  await popup.evaluate((ito) => {
    const frame = window.opener.document.querySelector("[data-ito]").shadowRoot.querySelector("iframe").contentWindow;
    frame.postMessage(JSON.stringify({ ito: 1, type: "article", id: "return-policy" }), ito);
  }, env.server.url);
  // The same frame from the host page itself is taken: proof the frame was well-formed.
  await page.evaluate(() => Ito("article", "shipping-time"));
  await widget.locator(".ito-article-card__title").first().waitFor();
  const titles = await widget.locator(".ito-article-card__title").allTextContents();
  assert.deepEqual(titles, ["How long delivery takes"], JSON.stringify(titles));
  await context.close();
});
