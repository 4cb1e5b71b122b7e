// The bot-first journey: a visitor asks in English or in Japanese and gets the right article
// from the site's knowledge base, judges it, and finds the same thread after a reload.
import assert from "node:assert/strict";
import { test } from "node:test";
import { screenshot, serverAndBrowser } from "./harness.mjs";

const env = serverAndBrowser();

/** Opens the demo page in a fresh browser context speaking `locale` and opens the widget. */
async function openWidget(locale) {
  const context = await env.browser.newContext({ locale, viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await page.goto(env.server.url + "/");
  await page.locator("[data-ito] button.launcher").click();
  const widget = page.frameLocator("[data-ito] iframe");
  await widget.locator("textarea.ito-composer__input").waitFor({ state: "visible" });
  return { context, page, widget };
}

async function ask(widget, question) {
  const composer = widget.locator("textarea.ito-composer__input");
  await composer.fill(question);
  await composer.press("Enter");
}

test("an English question gets the right article, feedback, and survives a reload", async () => {
  const { context, page, widget } = await openWidget("en-US");
  await ask(widget, "how long does shipping take to tokyo?");
  const card = widget.locator(".ito-article-card").last();
  await card.waitFor();
  assert.equal(await card.locator(".ito-article-card__title").textContent(), "How long delivery takes");
  await card.getByRole("button", { name: "Yes" }).click();
  await widget.getByText("glad that helped").waitFor();
  await page.waitForFunction(() => {
    const frame = document.querySelector("[data-ito]").shadowRoot.querySelector("iframe");
    const list = frame.contentDocument.querySelector(".ito-message-list");
    return list.scrollTop + list.clientHeight >= list.scrollHeight - 2;
  }, null, { timeout: 5000 });
  await screenshot(page, "assistant-answer-en");

  await page.reload();
  await page.locator("[data-ito] button.launcher").click();
  const again = page.frameLocator("[data-ito] iframe");
  await again.locator(".ito-article-card__title", { hasText: "How long delivery takes" }).waitFor();
  await again.getByText("You found this helpful").waitFor();
  const visitor = again.locator(".ito-message-list__line--visitor");
  assert.equal(await visitor.count(), 1, "the thread came back once, not doubled");
  await context.close();
});

/**
 * Waits until the server answers by meaning in `locale`: it loads its sentence encoders and
 * the bases' vectors in the background after start, answering 503 meanwhile.
 */
async function serverAnswers(page, locale) {
  for (let tries = 0; tries < 240; tries++) {
    const status = await page.evaluate(async (locale) => {
      const body = JSON.stringify({ locale, question: "hello" });
      return (await fetch("/sites/demo/answers", { method: "POST", body })).status;
    }, locale);
    if (status === 200) return;
    assert.equal(status, 503, "starting, else answering");
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`the server never answered by meaning in ${locale}`);
}

/** The next question the widget sends the server about, containing `words`. */
function serverAsked(page, words) {
  return page.waitForRequest(
    (r) => r.url().endsWith("/sites/demo/answers") && (r.postData() ?? "").includes(words),
    { timeout: 10000 },
  );
}

test("the server answers by meaning what the browser is unsure of, and offers others after a No", async () => {
  const { context, page, widget } = await openWidget("en-US");
  await serverAnswers(page, "en");
  // The browser alone only suggests payment methods or a declined card; the server is sure.
  const asked = serverAsked(page, "refused");
  await ask(widget, "my bank refused the payment");
  await asked;
  const card = widget.locator(".ito-article-card").last();
  await card.waitFor();
  assert.equal(await card.locator(".ito-article-card__title").textContent(), "Card declined at checkout");

  // The browser is sure of this one and shows it at once; a No asks the server about the
  // other articles.
  await ask(widget, "my order has not arrived yet");
  const status = widget.locator(".ito-article-card", { hasText: "Checking your order status and tracking" });
  await status.waitFor();
  const secondOpinion = serverAsked(page, "not arrived");
  await status.getByRole("button", { name: "No" }).click();
  await widget.getByText("Sorry about that").waitFor();
  assert.match((await secondOpinion).postData(), /"rejected":"order-status"/);
  const others = widget.locator(".ito-suggestions").last();
  await others.waitFor();
  const offered = await others.locator(".ito-suggestions__chip").allTextContents();
  assert.ok(offered.length >= 1 && offered.length <= 3, `other articles: ${offered}`);
  assert.equal(offered[0], "Parcel late, lost or marked delivered", `${offered}`);
  assert.ok(!offered.includes("Checking your order status and tracking"), "never the rejected one");
  await screenshot(page, "assistant-server-after-no");
  await others.locator(".ito-suggestions__chip").first().click();
  await widget.locator(".ito-article-card__title", { hasText: offered[0] }).waitFor();
  await context.close();
});

test("a Japanese visitor gets Japanese strings and the Japanese article", async () => {
  const { context, page, widget } = await openWidget("ja-JP");
  await widget.getByText("なんでも聞いてください").waitFor();
  const launcher = page.locator("[data-ito] button.launcher");
  assert.equal(await launcher.getAttribute("aria-label"), "チャットを閉じる", "the loader speaks Japanese too");
  await ask(widget, "送料っていくら？");
  const title = widget.locator(".ito-article-card__title").last();
  await title.waitFor();
  assert.equal(await title.textContent(), "送料");
  await screenshot(page, "assistant-answer-ja");
  await context.close();
});
