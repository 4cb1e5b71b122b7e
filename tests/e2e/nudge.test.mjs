// Proactive help: rage clicks on the host page bring up the nudge once per visit, never over
// an open panel; clicking it opens the chat.
import assert from "node:assert/strict";
import { test } from "node:test";
import { screenshot, serverAndBrowser } from "./harness.mjs";

const env = serverAndBrowser();

async function rageClick(page) {
  for (let i = 0; i < 3; i++) await page.mouse.click(400, 300);
}

async function shopPage(context) {
  const page = await context.newPage();
  await page.goto(env.server.url + "/");
  await page.locator("[data-ito] button.launcher").waitFor({ state: "visible" });
  return page;
}

test("a rage click brings up the nudge once per visit", async () => {
  const context = await env.browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await shopPage(context);
  const nudge = page.locator("[data-ito] .nudge");
  await page.mouse.click(400, 300);
  await page.mouse.click(400, 300);
  assert.equal(await nudge.isVisible(), false, "two clicks are not rage");
  await rageClick(page);
  await nudge.waitFor({ state: "visible" });
  assert.equal(await nudge.locator(".nudge-text").textContent(), "Having trouble? I can help.");
  await screenshot(page, "nudge");
  await nudge.getByRole("button", { name: "Dismiss" }).click();
  await nudge.waitFor({ state: "hidden" });
  await rageClick(page);
  assert.equal(await nudge.isVisible(), false, "once per visit");
  await page.reload();
  await page.locator("[data-ito] button.launcher").waitFor({ state: "visible" });
  await rageClick(page);
  assert.equal(await nudge.isVisible(), false, "a visit spans pages");
  await context.close();
});

test("never over an open panel, and the nudge opens the chat", async () => {
  const context = await env.browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await shopPage(context);
  const nudge = page.locator("[data-ito] .nudge");
  await page.locator("[data-ito] button.launcher").click();
  await page.locator("[data-ito] .panel").waitFor({ state: "visible" });
  await rageClick(page);
  assert.equal(await nudge.isVisible(), false, "not over the open panel");
  await page.locator("[data-ito] button.launcher").click();
  await rageClick(page);
  await nudge.waitFor({ state: "visible" });
  await nudge.locator(".nudge-text").click();
  await page.locator("[data-ito] .panel").waitFor({ state: "visible" });
  assert.equal(await nudge.isVisible(), false);
  await context.close();
});
