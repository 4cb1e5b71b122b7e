// The handoff, end to end: a visitor the bot could not help asks for a person, waits in the
// queue, and talks with an agent who already has the bot transcript; nothing is lost across a
// reload. Until the console has its inbox (issue 5), the agent side is a page on the Ito
// origin that signs in and speaks the agent protocol over the real WebSocket.
import assert from "node:assert/strict";
import { test } from "node:test";
import { screenshot, serverAndBrowser } from "./harness.mjs";

const env = serverAndBrowser();

/** Signs the demo agent in and claims the first waiting conversation; resolves with what it saw. */
async function agentClaimsAndReplies(page, agent) {
  await page.goto(env.server.url + "/healthz");
  return page.evaluate(async ({ email, password }) => {
    const login = await fetch("/api/v1/login", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email, password }),
    });
    if (!login.ok) throw new Error(`login: ${login.status}`);
    const socket = new WebSocket(`ws://${location.host}/api/v1/agent/socket`);
    const frames = [];
    let wake = () => {};
    socket.onmessage = (m) => {
      frames.push(JSON.parse(m.data));
      wake();
    };
    const next = async (test) => {
      for (;;) {
        const found = frames.find(test);
        if (found) return found;
        await new Promise((resolve) => (wake = resolve));
      }
    };
    await new Promise((resolve) => (socket.onopen = resolve));
    // Frames are objects with one key naming their kind: {"claim": {...}}.
    socket.send(JSON.stringify({ hello: { version: 1 } }));
    const inbox = await next((f) => f.waiting && f.waiting.conversations.length > 0);
    const conversation = inbox.waiting.conversations[0].conversation;
    socket.send(JSON.stringify({ claim: { conversation } }));
    const context = await next((f) => f.context);
    socket.send(JSON.stringify({ send: { conversation, id: "agent-1", text: "Hi, I'm on it. Order 42?" } }));
    const reply = await next((f) => {
      const message = f.event && f.event.event.kind.message;
      return message && message.author === "visitor" && message.text === "Yes, order 42";
    });
    return { summary: context.context.summary, reply: reply.event.event.kind.message.text };
  }, agent);
}

test("a visitor the bot could not help talks to an agent who has the transcript", async () => {
  const visitorContext = await env.browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await visitorContext.newPage();
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

  const agentContext = await env.browser.newContext();
  const agentPage = await agentContext.newPage();
  const agentDone = agentClaimsAndReplies(agentPage, env.server.agent);

  await widget.getByText("Demo Agent joined the conversation.").waitFor();
  await widget.getByText("Hi, I'm on it. Order 42?").waitFor();
  await composer.fill("Yes, order 42");
  await composer.press("Enter");
  const seen = await agentDone;
  assert.equal(seen.reply, "Yes, order 42");
  assert.equal(seen.summary[0], "Asked: how long does shipping take?");
  assert.equal(seen.summary[1], "Bot tried: How long delivery takes (did not help)");
  await screenshot(page, "handoff-visitor");

  // A reload keeps the whole thread, the person's words included, shown once.
  await page.reload();
  await page.locator("[data-ito] button.launcher").click();
  const again = page.frameLocator("[data-ito] iframe");
  await again.getByText("Hi, I'm on it. Order 42?").waitFor();
  assert.equal(await again.getByText("Hi, I'm on it. Order 42?").count(), 1);
  await agentContext.close();
  await visitorContext.close();
});
