// An agent's everyday tools in the console, with the visitor in a second browser context:
// a private note is marked as one and reaches agents only, live and after a reload; a
// transfer hands the conversation and a note to a teammate, and the visitor is told; an
// admin's canned reply goes in with `/` and a shortcut, names filled in; labels an admin
// defines go on conversations, filter the inbox and cut the dashboard; a resolved conversation
// is found by its words, opens read-only and reopens.
import assert from "node:assert/strict";
import { test } from "node:test";
import { screenshot, serverAndBrowser, signInToConsole } from "./harness.mjs";
import { agentSignedIn, openMine, resolveOpen, visitorWaiting } from "./handoff-journey.mjs";

const env = serverAndBrowser();

test("a private note is marked, stays with agents and never reaches the visitor", async () => {
  const visitor = await visitorWaiting(env);
  const agent = await agentSignedIn(env);
  const page = agent.page;
  await visitor.widget.getByText("Demo Agent joined the conversation.").waitFor();
  await openMine(page);

  await page.getByRole("button", { name: "Private note" }).click();
  const note = page.getByLabel("Note", { exact: true });
  await note.pressSequentially("Asked finance about order 42");
  await note.press("Enter");
  const line = page.locator(".conversation__line--note").filter({ hasText: "Asked finance about order 42" });
  await line.getByText("Private note").waitFor();
  await line.locator(".conversation__receipt").waitFor({ state: "detached" });

  // Then a reply, which the visitor does get; the note and "typing" never showed there.
  await page.getByRole("button", { name: "Reply", exact: true }).click();
  const reply = page.getByLabel("Reply", { exact: true });
  await reply.fill("Hi! Looking into it now.");
  await reply.press("Enter");
  await visitor.widget.getByText("Hi! Looking into it now.").waitFor();
  assert.equal(await visitor.widget.getByText("Asked finance about order 42").count(), 0);
  await screenshot(page, "console-private-note");

  // A reload replays the thread from the server: still no note.
  await visitor.page.reload();
  await visitor.page.locator("[data-ito] button.launcher").click();
  const again = visitor.page.frameLocator("[data-ito] iframe");
  await again.getByText("Hi! Looking into it now.").waitFor();
  assert.equal(await again.getByText("Asked finance about order 42").count(), 0);
  await resolveOpen(page, again);
  await agent.context.close();
  await visitor.context.close();
});

test("a transfer hands the conversation to a teammate with a note, and the visitor is told who takes over", async () => {
  const ann = env.server.addAgent("ann@ito.example", "Ann Lee");
  const visitor = await visitorWaiting(env);
  const demo = await agentSignedIn(env);
  await visitor.widget.getByText("Demo Agent joined the conversation.").waitFor();
  const annContext = await env.browser.newContext({ viewport: { width: 1280, height: 800 } });
  const annPage = await annContext.newPage();
  await signInToConsole(annPage, env.server, ann);
  await annPage.locator(".top-bar__me").getByText("Ann Lee").waitFor();

  const page = demo.page;
  await openMine(page);
  await page.getByRole("button", { name: "Transfer", exact: true }).click();
  const form = page.getByRole("form", { name: "Hand this conversation to a teammate" });
  const annOption = form.locator("option", { hasText: "Ann Lee" });
  assert.match(await annOption.textContent(), /^Ann Lee · online · 0 of \d+ open$/);
  await form.getByLabel("To").selectOption(await annOption.getAttribute("value"));
  await form.getByLabel("Note for them (only agents see it)").fill("Wants express shipping to Osaka");
  await screenshot(page, "console-transfer");
  await form.getByRole("button", { name: "Transfer" }).click();

  await visitor.widget.getByText("Ann Lee is taking over the conversation.").waitFor();
  assert.equal(await visitor.widget.getByText("Wants express shipping to Osaka").count(), 0);
  // The conversation is Ann's: in her inbox, with the note; the demo agent no longer writes in it.
  await annPage.getByRole("tab", { name: /Mine/ }).getByText("1").waitFor();
  await openMine(annPage);
  await annPage.locator(".conversation__line--note").getByText("Wants express shipping to Osaka").waitFor();
  await page.getByLabel("Reply", { exact: true }).waitFor({ state: "detached" });
  const reply = annPage.getByLabel("Reply", { exact: true });
  await reply.fill("Hi, Ann here: express to Osaka is one day.");
  await reply.press("Enter");
  await visitor.widget.getByText("Hi, Ann here: express to Osaka is one day.").waitFor();
  await screenshot(visitor.page, "visitor-after-transfer");
  await annContext.close();
  await demo.context.close();
  await visitor.context.close();
});

test("an admin's canned reply is inserted with / and its shortcut, with the names filled in", async () => {
  const visitor = await visitorWaiting(env);
  const agent = await agentSignedIn(env);
  const page = agent.page;
  await page.getByRole("button", { name: "Settings" }).click();
  await page.getByLabel("Shortcut (after /)").fill("express");
  await page.getByLabel("Text", { exact: true }).fill("Hi {visitor_name}, {agent_name} here: express delivery takes one day.");
  await page.getByRole("button", { name: "Save", exact: true }).click();
  await page.locator(".canned-replies__list li", { hasText: "/express" }).waitFor();
  await screenshot(page, "console-canned-replies");

  await page.getByRole("button", { name: "Conversations" }).click();
  await visitor.widget.getByText("Demo Agent joined the conversation.").waitFor();
  await openMine(page);
  const reply = page.getByLabel("Reply", { exact: true });
  await reply.pressSequentially("Thanks! /exp");
  await page.locator(".conversation__canned").getByText("/express").waitFor();
  await screenshot(page, "console-canned-shortcut");
  await reply.press("Enter");
  assert.equal(await reply.inputValue(), "Thanks! Hi there, Demo Agent here: express delivery takes one day.");
  await reply.press("Enter");
  await visitor.widget.getByText("Thanks! Hi there, Demo Agent here: express delivery takes one day.").waitFor();
  await resolveOpen(page, visitor.widget);
  await agent.context.close();
  await visitor.context.close();
});

test("an admin's labels go on a conversation, filter the inbox and cut the dashboard", async () => {
  const visitor = await visitorWaiting(env);
  const agent = await agentSignedIn(env);
  const page = agent.page;
  await page.getByRole("button", { name: "Settings" }).click();
  for (const label of ["billing", "vip"]) {
    await page.getByLabel("New label").fill(label);
    await page.getByRole("button", { name: "Add", exact: true }).click();
    await page.locator(".settings__list li", { hasText: label }).waitFor();
  }
  await page.getByRole("button", { name: "Conversations" }).click();
  await visitor.widget.getByText("Demo Agent joined the conversation.").waitFor();
  await openMine(page);
  await page.getByLabel("Add a label").selectOption("billing");
  await page.locator(".conversation__tag", { hasText: "billing" }).waitFor();
  await page.locator(".inbox__item .inbox__tag", { hasText: "billing" }).waitFor();
  assert.equal(await page.getByLabel("Add a label").inputValue(), "", "ready for another");
  await page.getByRole("tab", { name: /All/ }).click();
  const before = await page.locator(".inbox__item").count();
  await page.locator(".inbox__label-filter select").selectOption("billing");
  assert.equal(await page.locator(".inbox__item").count(), 1);
  assert.ok(before >= 1);
  await screenshot(page, "console-labels");
  await resolveOpen(page, visitor.widget);

  await page.getByRole("button", { name: "Dashboard" }).click();
  const card = (label) => page.locator(".dashboard__card").filter({ has: page.locator("dt", { hasText: label }) }).locator("dd");
  await card("Conversations").first().waitFor();
  const all = Number(await card("Conversations").first().textContent());
  await page.locator(".dashboard__controls").getByLabel("Label").selectOption("billing");
  await card("Conversations").first().getByText("1", { exact: true }).waitFor();
  assert.ok(all > 1, `every conversation: ${all}`);
  const href = await page.getByRole("link", { name: "Export CSV" }).getAttribute("href");
  assert.match(href, /&label=billing/);
  await agent.context.close();
  await visitor.context.close();
});

test("a resolved conversation is found by its words, opens read-only, and reopens with the visitor", async () => {
  const visitor = await visitorWaiting(env);
  const agent = await agentSignedIn(env);
  const page = agent.page;
  await visitor.widget.getByText("Demo Agent joined the conversation.").waitFor();
  await openMine(page);
  const reply = page.getByLabel("Reply", { exact: true });
  await reply.fill("Your parcel is at the Kawasaki depot.");
  await reply.press("Enter");
  await visitor.widget.getByText("Your parcel is at the Kawasaki depot.").waitFor();
  await resolveOpen(page, visitor.widget);

  await page.getByLabel("Search conversations: name, email, words").fill("kawasaki");
  await page.getByLabel("Search conversations: name, email, words").press("Enter");
  const found = page.locator(".inbox__found .inbox__item");
  await found.filter({ hasText: "Resolved" }).first().waitFor();
  assert.equal(await found.count(), 1);
  await found.first().click();
  await page.locator(".conversation__line--agent").getByText("Your parcel is at the Kawasaki depot.").waitFor();
  assert.equal(await page.getByLabel("Reply", { exact: true }).count(), 0, "a closed conversation is read-only");
  await screenshot(page, "console-search");

  await page.getByRole("button", { name: "Reopen" }).click();
  await page.getByLabel("Reply", { exact: true }).waitFor();
  await visitor.widget.getByText("Demo Agent joined the conversation.").nth(1).waitFor();
  await page.getByLabel("Reply", { exact: true }).fill("Reopened: it leaves the depot today.");
  await page.getByLabel("Reply", { exact: true }).press("Enter");
  await visitor.widget.getByText("Reopened: it leaves the depot today.").waitFor();
  // The visitor's answer goes to the person, not to the bot.
  await visitor.composer.fill("Great, thanks!");
  await visitor.composer.press("Enter");
  await page.locator(".conversation__line--visitor").getByText("Great, thanks!").waitFor();
  await agent.context.close();
  await visitor.context.close();
});
