// The site owner's knowledge editor in the console: an admin finds an article, edits its
// answer while the check and the preview follow, tries the draft as a visitor would, saves
// and publishes; a visitor then gets the new text, from the same running server.
import assert from "node:assert/strict";
import { test } from "node:test";
import { screenshot, serverAndBrowser, signInToConsole } from "./harness.mjs";

const env = serverAndBrowser();

/** A visitor on the demo shop with the widget open, and how they ask. */
async function visitorWithWidget() {
  const context = await env.browser.newContext({ locale: "en-US", viewport: { width: 1280, height: 800 } });
  const shop = await context.newPage();
  await shop.goto(env.server.url + "/");
  await shop.locator("[data-ito] button.launcher").click();
  const widget = shop.frameLocator("[data-ito] iframe");
  const composer = widget.locator("textarea.ito-composer__input");
  await composer.waitFor({ state: "visible" });
  const ask = async (question) => {
    await composer.fill(question);
    await composer.press("Enter");
  };
  return { context, shop, widget, ask };
}

test("an admin edits an answer, checks, previews, tries and publishes it, and an open widget answers with it", async () => {
  // The visitor's widget is open before the edit and stays open through it.
  const visitor = await visitorWithWidget();
  await visitor.ask("how long does shipping take to tokyo?");
  await visitor.widget.locator(".ito-article-card__title", { hasText: "How long delivery takes" }).waitFor();
  assert.equal(await visitor.widget.locator(".ito-article-card strong", { hasText: "Standard delivery" }).count(), 0);

  const context = await env.browser.newContext({ viewport: { width: 1440, height: 900 } });
  const page = await context.newPage();
  await signInToConsole(page, env.server);
  await page.getByRole("button", { name: "Knowledge" }).click();

  await page.getByLabel("Search the articles").fill("delivery");
  await page.locator(".knowledge__item", { hasText: "How long delivery takes" }).click();
  const answer = page.getByLabel("Answer (Markdown)");
  await answer.waitFor();

  // HTML is refused as it is typed: the check says so and Save waits.
  await answer.fill("Click <b>here</b>.");
  await page.locator(".knowledge__finding--error", { hasText: "contains HTML" }).waitFor();
  assert.equal(await page.getByRole("button", { name: "Save draft" }).isDisabled(), true);

  const edited = "**Standard delivery** takes 2 working days (edited in the console).";
  await answer.fill(edited);
  await page.locator(".knowledge__preview strong", { hasText: "Standard delivery" }).waitFor();
  assert.equal(await page.locator(".knowledge__finding--error").count(), 0);

  // The same assistant the widget runs, on the draft.
  await page.getByLabel("Ask as a visitor would").fill("how long does shipping take to tokyo?");
  await page.locator(".knowledge__outcome").waitFor();
  assert.match(await page.locator(".knowledge__hits li").first().textContent(), /^shipping-time /);
  await screenshot(page, "knowledge-editor");

  await page.getByRole("button", { name: "Save draft" }).click();
  await page.getByText("Saved as a draft").waitFor();
  const served = async () =>
    page.evaluate(async () => (await (await fetch("/sites/demo/kb/en.json")).json()).articles.find((a) => a.id === "shipping-time").answer);
  assert.notEqual(await served(), edited, "a draft is not what visitors get");
  await page.getByRole("button", { name: "Publish" }).click();
  await page.getByText("Published: visitors get it now.").waitFor();
  assert.equal(await served(), edited);

  // Its versions: the import, then this edit, by the demo agent.
  await page.getByRole("button", { name: "Versions" }).click();
  await page.locator(".knowledge__history li", { hasText: "Version 2 · Demo Agent" }).waitFor();
  await page.locator(".knowledge__history li", { hasText: "Version 1 · imported" }).waitFor();

  // The open widget revalidates the base while the bot "types", so its next answer is the new one.
  await visitor.ask("and how long does shipping take to osaka?");
  await visitor.widget.locator(".ito-article-card strong", { hasText: "Standard delivery" }).waitFor();
  await screenshot(visitor.shop, "knowledge-published-in-open-widget");
  await visitor.context.close();
  await context.close();
});

test("a question the bot missed, answered by an agent with an article, becomes a suggestion that teaches the bot", async () => {
  const question = "Do you take dogecoin?";
  const visitor = await visitorWithWidget();
  await visitor.ask(question);
  // The bot replies (unsure, or with suggestions) before the visitor asks for a person.
  await visitor.widget.locator(".ito-message-list__line--bot").nth(1).waitFor();
  await visitor.widget.getByRole("button", { name: "Talk to a person" }).first().click();

  const context = await env.browser.newContext({ viewport: { width: 1440, height: 900 } });
  const page = await context.newPage();
  await signInToConsole(page, env.server);
  await visitor.widget.getByText("Demo Agent joined the conversation.").waitFor();
  await page.getByRole("tab", { name: /Mine/ }).click();
  await page.locator(".inbox__item").filter({ hasText: question }).click();
  await page.getByRole("button", { name: "Insert answer" }).click();
  const picker = page.getByRole("dialog", { name: "Insert an FAQ answer" });
  await picker.getByRole("searchbox").fill("payment methods");
  await picker.locator(".answer-picker__answer", { hasText: "Payment methods" }).first().click();
  const reply = page.getByLabel("Reply");
  await reply.press("Enter");
  await page.locator(".conversation__line--agent").last().waitFor();
  await page.keyboard.press("Alt+KeyR");
  await visitor.widget.getByText("This conversation was marked as resolved.").waitFor();
  await visitor.context.close();

  await page.getByRole("button", { name: "Knowledge" }).click();
  await page.locator(".knowledge__tabs").getByRole("button", { name: "Suggestions" }).click();
  const suggestion = page.locator(".learning__suggestion", { hasText: question });
  await suggestion.getByText("Payment methods").waitFor();
  await screenshot(page, "knowledge-suggestion");
  await suggestion.getByRole("button", { name: "Accept and publish" }).click();
  await page.getByText("Added and published").waitFor();

  // The same question from a new visitor is now the bot's to answer.
  const next = await visitorWithWidget();
  await next.ask(question);
  await next.widget.locator(".ito-article-card__title", { hasText: "Payment methods" }).waitFor();
  await screenshot(next.shop, "knowledge-learned-answer");

  // What the bot missed is in the gaps, and the article's figures count its showing.
  await page.locator(".knowledge__tabs").getByRole("button", { name: "Content gaps" }).click();
  await page.locator(".learning__gap", { hasText: question }).waitFor();
  await screenshot(page, "knowledge-gaps");
  // A gap starts a new article with its questions.
  await page.locator(".learning__gap", { hasText: question }).getByRole("button", { name: "New article from this group" }).click();
  assert.equal(await page.getByLabel("Title", { exact: true }).inputValue(), question);
  assert.equal(await page.getByLabel("Id (part of links; cannot change later)").inputValue(), "do-you-take-dogecoin");
  await page.locator(".knowledge__tabs").getByRole("button", { name: "Article figures" }).click();
  await page.locator(".learning__table tr", { hasText: "Payment methods" }).waitFor();
  await next.context.close();
  await context.close();
});
