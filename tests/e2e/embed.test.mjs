// The walking skeleton of the embed, as a visitor meets it: the demo host page with one script
// tag, the launcher in its shadow root, the widget in its iframe, and back.
import assert from "node:assert/strict";
import { test } from "node:test";
import { itoConsoleErrors, screenshot, serverAndBrowser } from "./harness.mjs";

const env = serverAndBrowser();

test("the launcher opens the widget, which takes a message and closes again", async () => {
  const page = await env.browser.newPage({ viewport: { width: 1280, height: 800 } });
  const errors = itoConsoleErrors(page);
  await page.goto(env.server.url + "/");

  // Playwright's CSS locators reach into open shadow roots.
  const launcher = page.locator("[data-ito] button.launcher");
  await launcher.waitFor({ state: "visible" });
  assert.equal(await launcher.getAttribute("aria-expanded"), "false");
  await launcher.click();
  assert.equal(await launcher.getAttribute("aria-expanded"), "true");

  const widget = page.frameLocator("[data-ito] iframe");
  const composer = widget.locator("textarea.ito-composer__input");
  await composer.waitFor({ state: "visible" });
  await widget.getByText("Ask me anything").waitFor();
  // The loader asks the widget to focus its composer once it is open and ready.
  await page.waitForFunction(() => {
    const frame = document.querySelector("[data-ito]").shadowRoot.querySelector("iframe");
    return frame.contentDocument?.activeElement?.tagName === "TEXTAREA";
  });
  await composer.fill("Where is my order?");
  await composer.press("Enter");
  await widget.locator(".ito-message-list__line--visitor", { hasText: "Where is my order?" }).waitFor();
  assert.equal(await composer.inputValue(), "");
  await screenshot(page, "widget-open");

  await widget.getByRole("button", { name: "Close chat" }).click();
  await page.locator("[data-ito] .panel").waitFor({ state: "hidden" });
  assert.equal(await launcher.getAttribute("aria-expanded"), "false");
  const focused = await page.evaluate(() => document.querySelector("[data-ito]").shadowRoot.activeElement?.classList[0]);
  assert.equal(focused, "launcher", "focus returns to the launcher");
  await screenshot(page, "widget-closed");
  assert.deepEqual(errors, []);
  await page.close();
});

test("the widget page may be framed only by the site's allowed origins", async () => {
  const page = await env.browser.newPage();
  const response = await page.goto(env.server.url + "/embed/demo");
  assert.match(response.headers()["content-security-policy"], /; frame-ancestors 'self'$/);
  const missing = await page.goto(env.server.url + "/embed/nope");
  assert.equal(missing.status(), 404);

  // The same server under another name is another origin: http://localhost:PORT is not
  // http://127.0.0.1:PORT, which is all the demo site allows.
  const foreign = env.server.url.replace("127.0.0.1", "localhost") + "/foreign-host";
  await page.route(foreign, (route) =>
    route.fulfill({
      contentType: "text/html",
      body: `<!doctype html><title>foreign</title><script src="${env.server.url}/ito.js" data-site="demo" async></script>`,
    }),
  );
  // Refused twice over: the server will not serve the widget for that host origin, and the
  // page's frame-ancestors would not let it be framed there anyway.
  const refused = page.waitForResponse((r) => r.url().includes("/embed/demo") && r.status() === 403);
  await page.goto(foreign);
  await page.locator("[data-ito] button.launcher").click();
  await refused;
  const widgetFrame = page.frames().find((f) => f.url().includes("/embed/demo"));
  assert.ok(!widgetFrame || (await widgetFrame.locator("textarea").count()) === 0, "no widget in the frame");
  await page.close();
});

/** A host page on the Ito origin whose body is `html`. */
async function hostPage(html) {
  const page = await env.browser.newPage();
  const errors = itoConsoleErrors(page);
  await page.route(env.server.url + "/test-host", (route) =>
    route.fulfill({ contentType: "text/html", body: `<!doctype html><title>host</title><body>${html}</body>` }),
  );
  await page.goto(env.server.url + "/test-host");
  return { page, errors };
}

test("an unknown data-site logs one clear error and draws nothing", async () => {
  const { page, errors } = await hostPage(`<script src="${env.server.url}/ito.js" data-site="no-such-site" async></script>`);
  await page.waitForFunction(() => window.Ito && window.Ito._loaded);
  await assertEventually(() => errors.length === 1, "one Ito error");
  assert.match(errors[0], /^Ito: unknown site "no-such-site": http:\/\/127\.0\.0\.1:\d+ has no such site or cannot be reached/);
  assert.equal(await page.locator("[data-ito]").count(), 0);
  await page.close();
});

test("a malformed data-site is refused without a request", async () => {
  const { page, errors } = await hostPage(`<script src="${env.server.url}/ito.js" data-site="../Demo" async></script>`);
  await assertEventually(() => errors.length === 1, "one Ito error");
  assert.match(errors[0], /data-site "\.\.\/Demo" is not a site id/);
  assert.equal(await page.locator("[data-ito]").count(), 0);
  await page.close();
});

test("the snippet included twice makes one widget, and early calls are queued", async () => {
  const tag = `<script src="${env.server.url}/ito.js" data-site="demo" async></script>`;
  const { page, errors } = await hostPage(
    `<script>window.Ito = window.Ito || function () { (Ito.q = Ito.q || []).push(arguments) }; Ito("open");</script>${tag}${tag}`,
  );
  await page.locator("[data-ito] .panel").waitFor({ state: "visible" });
  assert.equal(await page.locator("[data-ito]").count(), 1);
  assert.deepEqual(errors, []);
  await page.close();
});

async function assertEventually(check, what, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`never happened: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
