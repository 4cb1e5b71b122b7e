// The widget when the server forgets it: the server's database is recreated while a visitor
// waits for a person. The widget's token now proves nothing; it is told so, starts a new
// conversation by itself, keeps what was shown with a quiet divider, and the visitor reaches
// the new server's queue.
import { after, before, test } from "node:test";
import { launchBrowser, screenshot, startServer } from "./harness.mjs";

let server;
let browser;
before(async () => {
  server = await startServer();
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

test("a widget whose server database was recreated recovers by itself", async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await page.goto(server.url + "/");
  await page.locator("[data-ito] button.launcher").click();
  const widget = page.frameLocator("[data-ito] iframe");
  const composer = widget.locator("textarea.ito-composer__input");
  await composer.fill("how long does shipping take?");
  await composer.press("Enter");
  await widget.locator(".ito-article-card").waitFor();
  await widget.getByRole("button", { name: "Talk to a person" }).first().click();
  await widget.getByText("You are number 1 in the queue").waitFor();

  // The same address, a new database: nothing the widget holds is known there.
  const address = server.url.replace("http://", "");
  await server.stop();
  server = await startServer({ listen: address });

  await widget.getByText("A new conversation starts here.").waitFor({ timeout: 60_000 });
  // What was shown stays.
  await widget.getByText("how long does shipping take?").first().waitFor();
  await widget.getByRole("button", { name: "Talk to a person" }).first().click();
  await widget.getByText("You are number 1 in the queue").last().waitFor();
  await screenshot(page, "recovered-after-new-database");
  await context.close();
});
