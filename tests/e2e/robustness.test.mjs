// The widget on hostile ground and in other hands: a host page whose CSS tries to wreck it, a
// visitor using only the keyboard, and a phone-sized screen.
import assert from "node:assert/strict";
import { test } from "node:test";
import { screenshot, serverAndBrowser } from "./harness.mjs";

const env = serverAndBrowser();

const HOSTILE_CSS = `
  * { all: unset !important; }
  html { font-size: 48px !important; }
  *, *::before, *::after { box-sizing: content-box !important; }
  div, button, iframe, span { z-index: 2147483647 !important; margin: 13px !important; }
  .overlay { position: fixed !important; right: 0 !important; bottom: 0 !important;
             width: 300px !important; height: 300px !important; display: block !important;
             background: rgba(255, 0, 0, 0.3) !important; z-index: 2147483647 !important; }
`;

/** A host page on the Ito origin with `head` and `body`, holding the demo snippet. */
async function hostPage(context, head, body = "") {
  const page = await context.newPage();
  await page.route(env.server.url + "/host", (route) =>
    route.fulfill({
      contentType: "text/html",
      body: `<!doctype html><html><head><title>host</title>${head}</head><body>${body}<p>Host text</p><script src="/ito.js" data-site="demo" async></script></body></html>`,
    }),
  );
  await page.goto(env.server.url + "/host");
  return page;
}

test("hostile host CSS leaves the launcher and the panel intact", async () => {
  const context = await env.browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await hostPage(context, `<style>${HOSTILE_CSS}</style>`, `<div class="overlay"></div>`);
  const launcher = page.locator("[data-ito] button.launcher");
  await launcher.waitFor({ state: "visible" });
  const box = await launcher.boundingBox();
  assert.deepEqual([box.width, box.height], [56, 56]);
  assert.deepEqual([1280 - box.x - box.width, 800 - box.y - box.height], [20, 20]);
  // Ours is on top of the host's own maximal z-index overlay.
  const onTop = await page.evaluate(
    ([x, y]) => document.elementFromPoint(x, y)?.hasAttribute("data-ito"),
    [box.x + 28, box.y + 28],
  );
  assert.equal(onTop, true, "the launcher is not covered");
  await screenshot(page, "hostile-closed");

  await launcher.click();
  const panel = page.locator("[data-ito] .panel");
  await panel.waitFor({ state: "visible" });
  const panelBox = await panel.boundingBox();
  assert.equal(panelBox.width, 380);
  const widget = page.frameLocator("[data-ito] iframe");
  const composer = widget.locator("textarea.ito-composer__input");
  await composer.waitFor({ state: "visible" });
  // Inside the iframe the host's CSS does not exist.
  const fontSize = await widget.locator("body").evaluate((b) => getComputedStyle(b).fontSize);
  assert.equal(fontSize, "15px");
  await composer.fill("how long does shipping take?");
  await composer.press("Enter");
  await widget.locator(".ito-article-card").waitFor();
  await screenshot(page, "hostile-open");
  await context.close();
});

test("a visitor can do everything with the keyboard", async () => {
  const context = await env.browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await hostPage(context, "");
  await page.locator("[data-ito] button.launcher").waitFor({ state: "visible" });
  const activeInShadow = () =>
    page.evaluate(() => document.querySelector("[data-ito]").shadowRoot.activeElement?.classList[0] ?? null);
  // Tab from the page start reaches the launcher (it is the only focusable element).
  for (let i = 0; i < 5 && (await activeInShadow()) !== "launcher"; i++) await page.keyboard.press("Tab");
  assert.equal(await activeInShadow(), "launcher");
  await page.keyboard.press("Enter");
  const widget = page.frameLocator("[data-ito] iframe");
  await page.waitForFunction(() => {
    const frame = document.querySelector("[data-ito]").shadowRoot.querySelector("iframe");
    return frame?.contentDocument?.activeElement?.tagName === "TEXTAREA";
  });
  await page.keyboard.type("how long does shipping take?");
  await page.keyboard.press("Enter");
  await widget.locator(".ito-article-card").waitFor();
  // Back through the panel to "Yes": each stop must show where focus is.
  const focused = () =>
    widget.locator("body").evaluate(() => {
      const el = document.activeElement;
      return { text: el.textContent.trim(), outline: getComputedStyle(el).outlineStyle };
    });
  let now;
  for (let i = 0; i < 8; i++) {
    await page.keyboard.press("Shift+Tab");
    now = await focused();
    assert.notEqual(now.outline, "none", `focus is visible on ${now.text}`);
    if (now.text === "Yes") break;
  }
  assert.equal(now.text, "Yes");
  await page.keyboard.press("Enter");
  await widget.getByText("glad that helped").waitFor();
  await page.keyboard.press("Escape");
  await page.locator("[data-ito] .panel").waitFor({ state: "hidden" });
  assert.equal(await activeInShadow(), "launcher", "focus returns to the launcher");
  await context.close();
});

test("on a phone the panel fills the screen and the page does not scroll behind it", async () => {
  const context = await env.browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const page = await hostPage(
    context,
    `<meta name="viewport" content="width=device-width, initial-scale=1">`,
    `<div style="height: 3000px">tall page</div>`,
  );
  const launcher = page.locator("[data-ito] button.launcher");
  await launcher.click();
  const panel = page.locator("[data-ito] .panel");
  await panel.waitFor({ state: "visible" });
  const box = await panel.boundingBox();
  assert.deepEqual([box.x, box.y, box.width, box.height], [0, 0, 390, 844]);
  const overflow = () => page.evaluate(() => getComputedStyle(document.documentElement).overflow);
  assert.equal(await overflow(), "hidden");
  await page.mouse.wheel(0, 800);
  assert.equal(await page.evaluate(() => window.scrollY), 0, "the host page stays put");
  await page.frameLocator("[data-ito] iframe").locator("textarea.ito-composer__input").waitFor();
  await screenshot(page, "mobile-open");
  await page.frameLocator("[data-ito] iframe").getByRole("button", { name: "Close chat" }).click();
  await panel.waitFor({ state: "hidden" });
  assert.equal(await overflow(), "visible", "scrolling comes back on close");
  await context.close();
});
