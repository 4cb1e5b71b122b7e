//! Files in conversations over real HTTP: a visitor's image reaches the agent as an event and
//! is served to them both with its type, name, `nosniff` and a sandbox, to nobody else (not
//! to another conversation's visitor), with a thumbnail for the thread; a PNG named `.pdf`,
//! HTML claimed as an image, a PNG that does not decode and 10 MiB + 1 byte are refused in
//! words; an agent sends in conversations they have.

mod common;

use common::live::{agent, claimed, server_and_store, signed_in, skip_inbox, visitor_waiting};
use common::{Server, hear, say};
use ito_protocol::chat::{
    AgentToServer, Author, ConversationId, EventKind, ServerToAgent, ServerToVisitor,
};

/// A real photo-sized PNG (1200 × 800), as a phone would send.
static PNG: std::sync::LazyLock<Vec<u8>> = std::sync::LazyLock::new(|| {
    let photo = image::RgbImage::from_fn(1200, 800, |x, y| {
        image::Rgb([(x % 251) as u8, (y % 241) as u8, ((x + y) % 239) as u8])
    });
    let mut bytes = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(photo)
        .write_to(&mut bytes, image::ImageFormat::Png)
        .unwrap();
    bytes.into_inner()
});
const PDF: &[u8] = b"%PDF-1.7\n1 0 obj <<>> endobj\n%%EOF\n";

fn token(server: &Server, conversation: &ConversationId) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    server.state.tokens.sign(conversation, now)
}

/// A visitor's upload: (status, body).
async fn visitor_sends(
    server: &Server,
    token: &str,
    name: &str,
    media_type: &str,
    bytes: Vec<u8>,
) -> (u16, String) {
    let response = reqwest::Client::new()
        .post(format!("{}/sites/demo/attachments", server.url))
        .query(&[("name", name)])
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", media_type)
        .body(bytes)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

async fn fetch(server: &Server, path: &str, cookie: Option<&str>) -> reqwest::Response {
    let mut request = reqwest::Client::new().get(format!("{}{path}", server.url));
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    request.send().await.unwrap()
}

#[tokio::test]
async fn a_visitors_image_reaches_the_agent_and_is_served_to_them_both_only() {
    let (_dir, server, pool) = server_and_store().await;
    let cookie = signed_in(&server, &pool, "ann@shop.example").await;
    let (mut visitor, conversation, _) = visitor_waiting(&server).await;
    let mut ann = agent(&server, &cookie).await;
    say(
        &mut ann,
        &AgentToServer::Open {
            conversation: conversation.clone(),
        },
    )
    .await;
    let visitor_token = token(&server, &conversation);
    let (status, body) = visitor_sends(
        &server,
        &visitor_token,
        "broken box.png",
        "image/png",
        PNG.clone(),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let sent: serde_json::Value = serde_json::from_str(&body).unwrap();
    let id = sent["file"]["id"].as_str().unwrap().to_owned();

    // Both sides are told, as an event of the conversation.
    let told = loop {
        if let ServerToAgent::Event { event, .. } = skip_inbox(&mut ann).await
            && let EventKind::Attachment { author, file } = event.kind
        {
            break (author, file);
        }
    };
    assert_eq!(told.0, Author::Visitor);
    assert_eq!(
        (told.1.id.as_str(), told.1.name.as_str()),
        (id.as_str(), "broken box.png")
    );
    assert_eq!(
        (told.1.media_type.as_str(), told.1.size),
        ("image/png", PNG.len() as u64)
    );
    loop {
        if let ServerToVisitor::Event(event) = hear(&mut visitor).await
            && matches!(event.kind, EventKind::Attachment { .. })
        {
            break;
        }
    }

    let path = format!("/attachments/{id}");
    let by_visitor = fetch(&server, &format!("{path}?token={visitor_token}"), None).await;
    assert_eq!(by_visitor.status().as_u16(), 200);
    let headers = by_visitor.headers().clone();
    assert_eq!(headers["content-type"], "image/png");
    assert_eq!(
        headers["content-disposition"],
        "inline; filename=\"broken box.png\"; filename*=UTF-8''broken%20box.png"
    );
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(
        headers["content-security-policy"],
        "default-src 'none'; sandbox"
    );
    assert_eq!(by_visitor.bytes().await.unwrap(), *PNG);
    let by_agent = fetch(&server, &path, Some(&cookie)).await;
    assert_eq!(by_agent.status().as_u16(), 200);

    // The thread's thumbnail: a JPEG of the same shape, 320 pixels wide, for the same people.
    let thumbnail = format!("{path}/thumbnail");
    for asked in [
        fetch(&server, &format!("{thumbnail}?token={visitor_token}"), None).await,
        fetch(&server, &thumbnail, Some(&cookie)).await,
    ] {
        assert_eq!(asked.status().as_u16(), 200);
        assert_eq!(asked.headers()["content-type"], "image/jpeg");
        assert_eq!(asked.headers()["x-content-type-options"], "nosniff");
        let bytes = asked.bytes().await.unwrap();
        assert!(bytes.len() * 10 < PNG.len(), "{} bytes", bytes.len());
        let small = image::load_from_memory(&bytes).unwrap();
        assert_eq!((small.width(), small.height()), (320, 213));
    }

    // Nobody else: no credentials, a forged token, another conversation's visitor.
    let (_other, elsewhere, _) = visitor_waiting(&server).await;
    let theirs = token(&server, &elsewhere);
    for path in [&path, &thumbnail] {
        assert_eq!(fetch(&server, path, None).await.status().as_u16(), 404);
        let forged = fetch(&server, &format!("{path}?token=c1.9999999999.AAAA"), None).await;
        assert_eq!(forged.status().as_u16(), 404);
        let other = fetch(&server, &format!("{path}?token={theirs}"), None).await;
        assert_eq!(other.status().as_u16(), 404, "{path}");
    }

    // An image kept before thumbnails were made (none beside it) is its own thumbnail.
    let folder = &server.state.config.server.attachments.folder;
    std::fs::remove_file(folder.join(format!("{id}.thumbnail"))).unwrap();
    let asked = fetch(&server, &thumbnail, Some(&cookie)).await;
    assert_eq!(asked.status().as_u16(), 200);
    assert_eq!(asked.headers()["content-type"], "image/png");
    assert_eq!(asked.bytes().await.unwrap(), *PNG);
}

#[tokio::test]
async fn files_that_are_not_what_they_claim_or_too_large_are_refused_in_words() {
    let (_dir, server, _pool) = server_and_store().await;
    let (_visitor, conversation, _) = visitor_waiting(&server).await;
    let token = token(&server, &conversation);

    let (status, body) = visitor_sends(&server, &token, "bill.pdf", "image/png", PNG.clone()).await;
    assert_eq!(status, 415);
    assert_eq!(
        body.trim(),
        "the name \"bill.pdf\" does not fit its type, image/png"
    );
    let (status, body) =
        visitor_sends(&server, &token, "bill.pdf", "application/pdf", PNG.clone()).await;
    assert_eq!(status, 415);
    assert!(
        body.contains("it says application/pdf, it is image/png"),
        "{body}"
    );
    // A PNG's first bytes and nothing of a picture after them.
    let (status, body) =
        visitor_sends(&server, &token, "cat.png", "image/png", PNG[..64].to_vec()).await;
    assert_eq!(
        (status, body.trim()),
        (415, "the file does not read as image/png")
    );
    let html = b"<html><script>alert(1)</script></html>".to_vec();
    let (status, body) = visitor_sends(&server, &token, "cat.png", "image/png", html).await;
    assert_eq!(status, 415);
    assert!(body.contains("it is something else"), "{body}");
    let (status, body) = visitor_sends(
        &server,
        &token,
        "x.svg",
        "image/svg+xml",
        b"<svg/>".to_vec(),
    )
    .await;
    assert_eq!(status, 415);
    assert!(
        body.contains("\"image/svg+xml\" files are not accepted"),
        "{body}"
    );

    let max = 10 * 1024 * 1024;
    let mut large = PDF.to_vec();
    large.resize(max, b' ');
    let (status, body) = visitor_sends(
        &server,
        &token,
        "scan.pdf",
        "application/pdf",
        large.clone(),
    )
    .await;
    assert_eq!(status, 201, "exactly 10 MiB is taken: {body}");
    large.push(b' ');
    let (status, body) = visitor_sends(&server, &token, "scan.pdf", "application/pdf", large).await;
    assert_eq!(status, 413);
    assert_eq!(
        body.trim(),
        "the file is larger than 10485760 bytes, the most accepted"
    );
    let (status, _) = visitor_sends(&server, "c1.1.AAAA", "a.png", "image/png", PNG.clone()).await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn an_agent_sends_files_in_conversations_they_have_and_a_pdf_is_a_download() {
    let (_dir, server, pool) = server_and_store().await;
    let ann = signed_in(&server, &pool, "ann@shop.example").await;
    let bob = signed_in(&server, &pool, "bob@shop.example").await;
    let (_visitor, conversation, _) = visitor_waiting(&server).await;
    let _socket = claimed(&server, &ann, &conversation).await;
    let send = |cookie: String, origin: Option<String>| {
        let url = format!(
            "{}/api/v1/conversations/{conversation}/attachments",
            server.url
        );
        async move {
            let mut request = reqwest::Client::new()
                .post(url)
                .query(&[("name", "Invoice 42.pdf")])
                .header("cookie", cookie)
                .header("content-type", "application/pdf")
                .body(PDF.to_vec());
            if let Some(origin) = origin {
                request = request.header("origin", origin);
            }
            let response = request.send().await.unwrap();
            (response.status().as_u16(), response.text().await.unwrap())
        }
    };
    let (status, _) = send(ann.clone(), None).await;
    assert_eq!(status, 403, "only from the console's own origin");
    let (status, body) = send(bob, Some(server.url.clone())).await;
    assert_eq!(
        (status, body.trim()),
        (
            403,
            "send files in a conversation you have (claim it first)"
        )
    );
    let (status, body) = send(ann.clone(), Some(server.url.clone())).await;
    assert_eq!(status, 201, "{body}");
    let sent: serde_json::Value = serde_json::from_str(&body).unwrap();
    let id = sent["file"]["id"].as_str().unwrap();
    let visitor_token = token(&server, &conversation);
    let served = fetch(
        &server,
        &format!("/attachments/{id}?token={visitor_token}"),
        None,
    )
    .await;
    assert_eq!(served.status().as_u16(), 200);
    assert_eq!(
        served.headers()["content-disposition"],
        "attachment; filename=\"Invoice 42.pdf\"; filename*=UTF-8''Invoice%2042.pdf"
    );
    let thumbnail = fetch(&server, &format!("/attachments/{id}/thumbnail"), Some(&ann)).await;
    assert_eq!(thumbnail.status().as_u16(), 404, "a PDF has none");
}

#[tokio::test]
async fn a_visitor_who_has_not_asked_for_a_person_sends_no_files() {
    let (_dir, server, _pool) = server_and_store().await;
    let (_socket, welcome) = common::live::greeted(&server, None, 0, None).await;
    let ServerToVisitor::Welcome { token, .. } = welcome else {
        panic!("a welcome")
    };
    // `start` made the conversation before the welcome; it is with the bot until a handoff.
    let (status, body) = visitor_sends(&server, &token, "a.png", "image/png", PNG.clone()).await;
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("ask for one first"), "{body}");
}
