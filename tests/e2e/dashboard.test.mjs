// The site owner's dashboard in the console, over a database `ito seed-demo` filled: the
// figures, the charts drawn from the data, the latest comments, and a CSV export with the same
// figures as the page.
import assert from "node:assert/strict";
import { test } from "node:test";
import { screenshot, serverAndBrowser, signInToConsole } from "./harness.mjs";

const env = serverAndBrowser({ seed: true });

test("an admin reads the figures, charts and comments, and exports the same figures", async () => {
  const context = await env.browser.newContext({ viewport: { width: 1400, height: 1000 } });
  const page = await context.newPage();
  await signInToConsole(page, env.server);
  await page.getByRole("button", { name: "Dashboard" }).click();

  const card = (label) => page.locator(".dashboard__card").filter({ has: page.locator("dt", { hasText: label }) }).locator("dd");
  await card("Conversations").first().waitFor();
  const conversations = Number(await card("Conversations").first().textContent());
  assert.ok(conversations > 100, `a seeded month has conversations: ${conversations}`);
  assert.match(await card("Deflection rate (%)").textContent(), /^\d+\.\d %$/);
  assert.match(await card("CSAT mean (1–5)").textContent(), /^\d\.\d\d$/);

  // Charts over time and score distributions, drawn from the data.
  assert.equal(await page.locator(".dashboard__chart").count(), 7);
  const line = await page.locator(".dashboard__line").first().getAttribute("points");
  assert.ok(line.split(" ").length > 20, "a point per day");
  assert.ok((await page.locator(".dashboard__bar").count()) === 12, "5 CSAT and 7 CES bars");
  await page.locator(".dashboard__comments li").first().waitFor();
  await screenshot(page, "dashboard");

  // The CSV has the page's figures.
  const href = await page.getByRole("link", { name: "Export CSV" }).getAttribute("href");
  const csv = await page.evaluate(async (href) => (await fetch(href)).text(), href);
  const row = (label) => csv.split("\n").find((l) => l.startsWith(label + ","))?.split(",")[1];
  assert.equal(Number(row("Conversations")), conversations);
  assert.equal(row("CSAT mean (1-5)"), await card("CSAT mean (1–5)").textContent());

  // A comment opens its conversation.
  await page.locator(".dashboard__comments li button").first().click();
  await page.locator(".conversation__title").waitFor();
  await context.close();
});
