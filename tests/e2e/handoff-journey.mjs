// The handoff journey, shared by handoff.test.mjs (one server) and cluster.test.mjs (two nodes
// behind nginx): a visitor the bot could not help asks for a person and waits; the agent signs
// in to the console, gets the conversation, reads the context panel (the bot transcript, the
// five-second summary), inserts an FAQ answer and replies; the visitor answers; a reload keeps
// the thread; the agent resolves; the survey's answer reaches the dashboard.
import assert from "node:assert/strict";
import { screenshot, signInToConsole } from "./harness.mjs";

/** A visitor on the demo shop who asked the bot, said "No", and asked for a person. */
export async function visitorWaiting(env) {
  const browser = env.browser;
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await page.goto(env.server.url + "/");
  await page.locator("[data-ito] button.launcher").click();
  const widget = page.frameLocator("[data-ito] iframe");
  const composer = widget.locator("textarea.ito-composer__input");
  await composer.fill("how long does shipping take?");
  await composer.press("Enter");
  await widget.locator(".ito-article-card").waitFor();
  await widget.getByRole("button", { name: "No" }).click();
  await widget.getByRole("button", { name: "Talk to a person" }).first().click();
  await widget.getByText("You are number 1 in the queue").waitFor();
  return { context, page, widget, composer };
}

/** Opens, from the console's *Mine* tab, the conversation whose visitor asked `question`. */
export async function openMine(page, question = "how long does shipping take?") {
  await page.getByRole("tab", { name: /Mine/ }).click();
  await page.locator(".inbox__item").filter({ hasText: question }).click();
}

/** Resolves the open conversation from the keyboard and waits until `widget` is told. */
export async function resolveOpen(page, widget) {
  await page.getByLabel("Reply", { exact: true }).focus();
  await page.keyboard.press("Alt+KeyR");
  await widget.getByText("This conversation was marked as resolved.").waitFor();
}

/** The demo agent signed in to the console. */
export async function agentSignedIn(env) {
  const browser = env.browser;
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  const page = await context.newPage();
  await signInToConsole(page, env.server);
  await page.locator(".top-bar__me").getByText("Demo Agent").waitFor();
  return { context, page };
}

/**
 * The whole journey on `env.server` with `env.browser`; `bothConnected(visitor, agent)` runs
 * once the visitor waits and the agent has signed in. Screenshots are named with `shots` first.
 */
export async function handoffJourney(env, { bothConnected = async () => {}, shots = "" } = {}) {
  const visitor = await visitorWaiting(env);
  const agent = await agentSignedIn(env);
  await bothConnected(visitor, agent);
  const console_ = agent.page;

  // Online by default, the agent is given the waiting visitor at once.
  await visitor.widget.getByText("Demo Agent joined the conversation.").waitFor();
  await console_.getByRole("tab", { name: /Mine/ }).click();
  await console_.locator(".inbox__item").filter({ hasText: "how long does shipping take?" }).click();

  const context = console_.locator(".context");
  await context.getByText("Asked: how long does shipping take?").waitFor();
  await context.getByText("Bot tried: How long delivery takes (did not help)").waitFor();
  // The bot transcript with the article shown and the visitor's verdict.
  await context.locator(".context__transcript").getByText("How long delivery takes").waitFor();
  await context.getByText("· did not help").waitFor();
  await context.getByText(/Chrome \d+ on Linux/).waitFor();

  // Insert an FAQ answer, ranked against what the visitor asked, then add a line and send.
  await console_.getByRole("button", { name: "Insert answer" }).click();
  const picker = console_.getByRole("dialog", { name: "Insert an FAQ answer" });
  await picker.locator(".answer-picker__answer").first().waitFor();
  const firstTitle = await picker.locator(".answer-picker__answer strong").first().textContent();
  assert.equal(firstTitle, "How long delivery takes");
  await picker.locator(".answer-picker__answer").first().click();
  const reply = console_.getByLabel("Reply");
  const inserted = await reply.inputValue();
  assert.match(inserted, /ship the same day/);
  // Typing shows on the other side, both ways, and stops with the message.
  await reply.fill("");
  await reply.pressSequentially("Hi, I'm on it.");
  await visitor.widget.getByText("Demo Agent is typing…").waitFor();
  await reply.fill("Hi, I'm on it. Order 42?");
  await reply.press("Enter");

  await visitor.widget.getByText("Hi, I'm on it. Order 42?").waitFor();
  await visitor.composer.pressSequentially("Yes, order");
  await console_.getByText("The visitor is typing…").waitFor();
  await visitor.composer.fill("Yes, order 42");
  await visitor.composer.press("Enter");
  await console_.locator(".conversation__line--visitor").getByText("Yes, order 42").waitFor();
  // The agent's console has the conversation open: the visitor's message reads as seen.
  await console_.bringToFront();
  await visitor.widget.locator(".ito-panel__live").getByText("Seen").waitFor();
  await screenshot(console_, shots + "console-conversation");
  await screenshot(visitor.page, shots + "handoff-visitor");

  // A reload keeps the whole thread, the person's words included, shown once.
  await visitor.page.reload();
  await visitor.page.locator("[data-ito] button.launcher").click();
  const again = visitor.page.frameLocator("[data-ito] iframe");
  await again.getByText("Hi, I'm on it. Order 42?").waitFor();
  assert.equal(await again.getByText("Hi, I'm on it. Order 42?").count(), 1);

  // The agent resolves (with the keyboard), the visitor is told, the inbox empties.
  await console_.getByLabel("Reply").focus();
  await console_.keyboard.press("Alt+KeyR");
  await again.getByText("This conversation was marked as resolved.").waitFor();
  await console_.locator(".conversation__line--system").getByText("Resolved").waitFor();
  await console_.getByRole("tab", { name: /Mine/ }).getByText("0").waitFor();

  // The visitor is asked the survey, answers it, and the admin's dashboard counts it.
  const survey = again.locator(".ito-survey");
  await survey.waitFor();
  await survey.getByRole("button", { name: "4 – Satisfied" }).click();
  await survey.getByRole("button", { name: "6", exact: true }).click();
  await survey.getByLabel("Anything to add? (optional)").fill("Quick and kind");
  await survey.locator(".ito-survey__send").click();
  await again.getByText("Thank you for your feedback!").waitFor();
  await screenshot(visitor.page, shots + "survey-answered");

  // Another visitor is helped by the bot alone: a conversation started and deflected.
  const botOnly = await env.browser.newContext();
  const shopper = await botOnly.newPage();
  await shopper.goto(env.server.url + "/");
  await shopper.locator("[data-ito] button.launcher").click();
  const helped = shopper.frameLocator("[data-ito] iframe");
  await helped.locator("textarea.ito-composer__input").fill("how long does shipping take?");
  await helped.locator("textarea.ito-composer__input").press("Enter");
  await helped.getByRole("button", { name: "Yes" }).click();
  await helped.locator(".ito-survey").waitFor();
  await helped.locator(".ito-survey__skip").click();
  await helped.getByText("No problem.").waitFor();
  await botOnly.close();

  await console_.getByRole("button", { name: "Dashboard" }).click();
  const card = (label) =>
    console_.locator(".dashboard__card").filter({ has: console_.locator("dt", { hasText: label }) }).locator("dd");
  await card("CSAT answers").getByText("1", { exact: true }).waitFor();
  assert.equal(await card("Conversations").first().textContent(), "2");
  assert.equal(await card("Deflection rate (%)").textContent(), "50.0 %");
  assert.equal(await card("Handoff rate").textContent(), "50.0 %");
  assert.equal(await card("CSAT mean (1–5)").textContent(), "4.00");
  assert.equal(await card("CES mean (1–7)").textContent(), "6.00");
  await console_.locator(".dashboard__comments").getByText("Quick and kind").waitFor();
  await screenshot(console_, shots + "dashboard-after-survey");
  await agent.context.close();
  await visitor.context.close();
}
