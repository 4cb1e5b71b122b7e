// Files both ways, in two browser contexts: a waiting visitor sends a photo from the widget;
// its thumbnail shows in their thread and in the agent's console, loaded from the server; the
// agent sends a PDF, which the visitor's widget links and the server gives them as a
// download; a PNG named .pdf and a file over the limit are refused in the visitor's words;
// a reload keeps the photo in the thread.
import assert from "node:assert/strict";
import { test } from "node:test";
import { crc32, deflateSync } from "node:zlib";
import { screenshot, serverAndBrowser } from "./harness.mjs";
import { agentSignedIn, openMine, visitorWaiting } from "./handoff-journey.mjs";

const env = serverAndBrowser();

/** A real PNG of `width` × `height` in one colour, for the browsers to decode and show. */
function png(width, height, [r, g, b]) {
  const chunk = (type, data) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const typed = Buffer.concat([Buffer.from(type, "ascii"), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(typed));
    return Buffer.concat([length, typed, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bits per channel
  header[9] = 2; // RGB
  const row = Buffer.concat([Buffer.from([0]), Buffer.from(Array(width).fill([r, g, b]).flat())]);
  const pixels = deflateSync(Buffer.concat(Array(height).fill(row)));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", pixels),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

const PDF = Buffer.from("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n");

/** Whether the image matched by `locator` was fetched and decoded by its browser (waits for it). */
const decoded = (locator) =>
  locator.evaluate((img) => img.decode().then(() => img.naturalWidth > 0, () => false));

test("a visitor sends a photo and the agent a PDF; each sees the other's; wrong files are refused in words", async () => {
  const visitor = await visitorWaiting(env);
  const agent = await agentSignedIn(env);
  await visitor.widget.getByText("Demo Agent joined the conversation.").waitFor();
  await openMine(agent.page);

  // The visitor's photo: shown in their thread once the server took it, and in the console.
  const picker = visitor.widget.getByLabel("Attach a file");
  await picker.setInputFiles({ name: "broken-strap.png", mimeType: "image/png", buffer: png(120, 80, [200, 60, 40]) });
  const ownPhoto = visitor.widget.locator(".ito-message-list__line--visitor img[alt='broken-strap.png']");
  await ownPhoto.waitFor();
  assert.ok(await decoded(ownPhoto), "the visitor's browser loads it with the token");
  // The thread shows the thumbnail; the bubble opens the photo itself.
  assert.match(await ownPhoto.getAttribute("src"), /^\/attachments\/[0-9a-f]+\/thumbnail\?token=/);
  assert.match(await ownPhoto.locator("xpath=..").getAttribute("href"), /^\/attachments\/[0-9a-f]+\?token=/);
  const inConsole = agent.page.locator(".conversation__line--visitor").filter({ hasText: "broken-strap.png" });
  await inConsole.waitFor();
  const thumbnail = inConsole.locator("img.conversation__thumbnail");
  assert.ok(await decoded(thumbnail));
  assert.match(await thumbnail.getAttribute("src"), /\/thumbnail$/);
  await inConsole.getByText("(1 KB)").waitFor();

  // The agent's PDF: a link in the widget, served to the visitor as a download.
  await agent.page.getByLabel("Attach file").setInputFiles({ name: "return-label.pdf", mimeType: "application/pdf", buffer: PDF });
  const link = visitor.widget.locator(".ito-message-list__line--bot a.ito-message-list__file", { hasText: "return-label.pdf" });
  await link.waitFor();
  const href = await link.getAttribute("href");
  assert.match(href, /^\/attachments\/[0-9a-f]+\?token=/);
  const served = await visitor.widget.locator("body").evaluate(async (_, url) => {
    const response = await fetch(url);
    return {
      status: response.status,
      type: response.headers.get("content-type"),
      disposition: response.headers.get("content-disposition"),
      body: await response.text(),
    };
  }, href);
  assert.equal(served.status, 200);
  assert.equal(served.type, "application/pdf");
  assert.match(served.disposition, /^attachment; filename="return-label.pdf"/);
  assert.equal(served.body, PDF.toString());
  await screenshot(visitor.page, "widget-attachments");
  await screenshot(agent.page, "console-attachments");

  // A PNG named .pdf, then a file past the limit: refused, and said so above the composer.
  const notice = visitor.widget.locator(".ito-panel__notice");
  await picker.setInputFiles({ name: "invoice.pdf", mimeType: "application/pdf", buffer: png(4, 4, [0, 0, 0]) });
  await notice.getByText("This kind of file can't be sent here.").waitFor();
  await picker.setInputFiles({ name: "huge.png", mimeType: "image/png", buffer: Buffer.alloc(10 * 1024 * 1024 + 1) });
  await notice.getByText("That file is too large to send.").waitFor();
  await screenshot(visitor.page, "widget-attachment-refused");
  assert.equal(await agent.page.locator(".conversation__file").count(), 2, "only the two files that went");

  // A reload keeps the photo, fetched again with the conversation's token.
  await visitor.page.reload();
  await visitor.page.locator("[data-ito] button.launcher").click();
  const again = visitor.page.frameLocator("[data-ito] iframe");
  const kept = again.locator("img[alt='broken-strap.png']");
  await kept.waitFor();
  assert.ok(await decoded(kept));
  await visitor.context.close();
  await agent.context.close();
});
