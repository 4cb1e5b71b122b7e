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

test("the console fills laptop and desktop windows, with the views under the top bar and the score axes ending at 5 and 7", async () => {
  const context = await env.browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await signInToConsole(page, env.server);
  for (const [width, height] of [[1280, 800], [1366, 768], [1440, 900], [1920, 1080]]) {
    await page.setViewportSize({ width, height });
    await page.getByRole("button", { name: "Conversations" }).click();
    const box = async (selector) => page.locator(selector).first().boundingBox();
    const [workspace, top, views, context_] = await Promise.all([
      box(".workspace"),
      box(".top-bar"),
      box(".workspace__views"),
      box(".context"),
    ]);
    assert.equal(Math.round(workspace.width), width, `the workspace spans ${width} px`);
    assert.ok(Math.abs(context_.x + context_.width - width) <= 1, `the context panel reaches the right edge at ${width} px`);
    assert.ok(views.y >= top.y + top.height - 1 && views.y < context_.y, `the views sit under the top bar at ${width} px`);
    assert.ok(views.x < 50, "on the left, not in a corner");
    await screenshot(page, `console-${width}x${height}`);
  }
  await page.setViewportSize({ width: 1440, height: 900 });
  await page.getByRole("button", { name: "Dashboard" }).click();
  const topTick = async (caption) => {
    const chart = page.locator(".dashboard__chart").filter({ has: page.locator("figcaption", { hasText: caption }) }).first();
    await chart.waitFor();
    const ticks = await chart.locator("text.dashboard__tick").allTextContents();
    return Math.max(...ticks.map(Number).filter((n) => !Number.isNaN(n)));
  };
  assert.equal(await topTick("CSAT mean (1–5)"), 5);
  assert.equal(await topTick("CES mean (1–7)"), 7);

  // The seeded history's content gaps and article figures, one click from the dashboard.
  await page.getByRole("button", { name: "Article figures" }).click();
  await page.locator(".learning__table tr", { hasText: "How long delivery takes" }).waitFor();
  await page.locator(".knowledge__tabs").getByRole("button", { name: "Content gaps" }).click();
  await page.locator(".learning__gap", { hasText: /bitcoin/i }).first().waitFor();
  await screenshot(page, "knowledge-gaps-seeded");
  await context.close();
});
