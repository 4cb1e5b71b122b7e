// An agent's everyday tools in the console, with the visitor in a second browser context:
// a private note is marked as one and reaches agents only, live and after a reload.
import assert from "node:assert/strict";
import { test } from "node:test";
import { screenshot, serverAndBrowser } from "./harness.mjs";
import { agentSignedIn, visitorWaiting } from "./handoff-journey.mjs";

const env = serverAndBrowser();

test("a private note is marked, stays with agents and never reaches the visitor", async () => {
  const visitor = await visitorWaiting(env);
  const agent = await agentSignedIn(env);
  const page = agent.page;
  await visitor.widget.getByText("Demo Agent joined the conversation.").waitFor();
  await page.getByRole("tab", { name: /Mine/ }).click();
  await page.locator(".inbox__item").filter({ hasText: "how long does shipping take?" }).click();

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
  await agent.context.close();
  await visitor.context.close();
});
