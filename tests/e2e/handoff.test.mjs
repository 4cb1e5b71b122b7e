// The handoff, end to end, in two browser contexts on one server: the whole journey (see
// handoff-journey.mjs), a claim by hand, and a wrong password.
import assert from "node:assert/strict";
import { test } from "node:test";
import { agentSignedIn, handoffJourney, visitorWaiting } from "./handoff-journey.mjs";
import { serverAndBrowser } from "./harness.mjs";

const env = serverAndBrowser();

test("a visitor the bot could not help talks to an agent in the console who has the transcript", () =>
  handoffJourney(env));

test("an away agent sees the queue and claims by hand", async () => {
  const agent = await agentSignedIn(env);
  const console_ = agent.page;
  await console_.getByRole("button", { name: "Online" }).click();
  await console_.getByRole("button", { name: "Away" }).waitFor();

  const visitor = await visitorWaiting(env);
  // Nobody online: the visitor is told they can leave a message.
  await visitor.widget.getByText("No one is available right now.", { exact: false }).waitFor();
  const waiting = console_.locator(".inbox__item").filter({ hasText: "how long does shipping take?" });
  await waiting.waitFor();
  await waiting.click();
  await console_.locator(".context").getByText("Asked: how long does shipping take?").waitFor();
  await console_.getByRole("button", { name: "Claim" }).click();
  await visitor.widget.getByText("Demo Agent joined the conversation.").waitFor();
  await console_.getByLabel("Reply").fill("Hello from a claim by hand");
  // Frames arriving while the agent types (here the visitor's message) leave the draft alone:
  // the conversation view was once rebuilt on every frame, losing what was typed.
  await visitor.composer.fill("Are you there?");
  await visitor.composer.press("Enter");
  await console_.locator(".conversation__line--visitor").getByText("Are you there?").waitFor();
  assert.equal(await console_.getByLabel("Reply").inputValue(), "Hello from a claim by hand");
  await console_.getByLabel("Reply").press("Enter");
  await visitor.widget.getByText("Hello from a claim by hand").waitFor();

  // The visitor ends the chat; the agent sees it and can no longer reply.
  await visitor.widget.getByRole("button", { name: "End chat" }).click();
  await visitor.widget.getByText("You ended the chat.").waitFor();
  await console_.locator(".conversation__line--system").getByText("The visitor ended the chat").waitFor();
  assert.equal(await console_.getByLabel("Reply").count(), 0);
  await agent.context.close();
  await visitor.context.close();
});

test("the console refuses a wrong password and keeps the form", async () => {
  const context = await env.browser.newContext();
  const page = await context.newPage();
  await page.goto(env.server.url + "/console/");
  await page.getByLabel("Email").fill(env.server.agent.email);
  await page.getByLabel("Password").fill("not the password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("alert").getByText("Wrong email or password.").waitFor();
  assert.equal(await page.locator(".inbox").count(), 0);
  await context.close();
});
