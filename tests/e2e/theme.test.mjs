// A site's theme from ito.toml, as a visitor's browser computes it: launcher and panel on the
// host page, and inside the iframe the colours, font, corners, strings and custom CSS.
import assert from "node:assert/strict";
import { test } from "node:test";
import { screenshot, serverAndBrowser } from "./harness.mjs";

const env = serverAndBrowser();

async function openExample(name, options = {}) {
  const context = await env.browser.newContext({ viewport: { width: 1280, height: 800 }, ...options });
  const page = await context.newPage();
  await page.goto(`${env.server.url}/examples/${name}.html`);
  const launcher = page.locator("[data-ito] button.launcher");
  await launcher.click();
  const widget = page.frameLocator("[data-ito] iframe");
  await widget.locator("textarea.ito-composer__input").waitFor({ state: "visible" });
  return { context, page, launcher, widget };
}

const style = (locator, property) => locator.evaluate((el, p) => getComputedStyle(el)[p], property);

test("the brand theme: pale accent with dark text, font, corners, strings, custom CSS", async () => {
  const { context, page, launcher, widget } = await openExample("brand");
  assert.equal(await style(launcher, "backgroundColor"), "rgb(255, 212, 0)");
  assert.equal(await style(launcher, "color"), "rgb(17, 24, 39)", "dark icon on the pale accent");
  const header = widget.locator(".ito-panel-header");
  assert.equal(await style(header, "backgroundColor"), "rgb(255, 212, 0)");
  assert.equal(await style(header, "color"), "rgb(17, 24, 39)");
  assert.equal(await style(header, "letterSpacing"), "0.3px", "custom CSS applies inside the iframe");
  assert.match(await style(widget.locator(".ito-panel"), "fontFamily"), /Trebuchet MS/);
  const greeting = widget.locator(".ito-message-list__line--bot").first();
  assert.equal(await style(greeting, "borderTopLeftRadius"), "20px");
  assert.match(await greeting.textContent(), /Sunny: Hey there! I'm Sunny/);
  await widget.getByRole("heading", { name: "Sunny Mart help" }).waitFor();
  await widget.getByRole("button", { name: "Chat with our team" }).waitFor();
  await screenshot(page, "theme-brand");
  await context.close();
});

test("the dark theme: left side with offsets, help icon, dark surfaces", async () => {
  const { context, page, launcher, widget } = await openExample("dark");
  const box = await launcher.boundingBox();
  assert.equal(Math.round(box.x), 32, "32 px from the left");
  assert.equal(Math.round(800 - box.y - box.height), 32, "32 px from the bottom");
  const list = widget.locator(".ito-message-list");
  assert.equal(await style(list, "backgroundColor"), "rgba(0, 0, 0, 0)");
  assert.equal(await style(widget.locator("body"), "backgroundColor"), "rgb(17, 24, 39)");
  assert.equal(await style(widget.locator("body"), "color"), "rgb(243, 244, 246)");
  await screenshot(page, "theme-dark");
  await context.close();
});

test("auto follows the visitor's colour scheme", async () => {
  for (const [colorScheme, expected] of [["light", "rgb(255, 255, 255)"], ["dark", "rgb(17, 24, 39)"]]) {
    const { context, widget } = await openExample("japanese", { colorScheme, locale: "ja-JP" });
    assert.equal(await style(widget.locator("body"), "backgroundColor"), expected, colorScheme);
    await widget.getByText("いらっしゃいませ").waitFor();
    await context.close();
  }
});
