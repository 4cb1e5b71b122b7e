//! What a host page loads: the loader script, its site's public settings, and the widget page
//! that goes in the iframe.

use axum::extract::{Path, Query, State};
use axum::http::header::{
    ACCEPT_ENCODING, CACHE_CONTROL, CONTENT_ENCODING, CONTENT_SECURITY_POLICY, CONTENT_TYPE, ETAG,
    IF_NONE_MATCH, VARY,
};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use ito_protocol::Locale;
use ito_protocol::site_settings::WidgetSettings;

use super::HttpError;
use crate::site::config::SiteConfig;
use crate::site::hours::WIDGET_HORIZON_DAYS;
use crate::state::AppState;

const LOADER: &str = include_str!("../../widget/loader/ito.js");
const JAVASCRIPT: &str = "text/javascript; charset=utf-8";

/// `ito.js`: the same file for every site; it reads `data-site` itself. The minified build
/// (`cargo xtask build` writes `{assets}/ito.js`) when there is one, else the source.
pub async fn loader(State(state): State<AppState>, headers: HeaderMap) -> Response {
    // Short-lived cache: the URL has no version in it, so fixes must reach hosts quickly.
    let plain = [
        (CONTENT_TYPE, JAVASCRIPT),
        (CACHE_CONTROL, "public, max-age=300"),
        (VARY, "accept-encoding"),
    ];
    let minified = state.config.server.assets.join("ito.js");
    if accepts_brotli(&headers)
        && let Ok(brotli) = tokio::fs::read(minified.with_extension("js.br")).await
    {
        return (plain, [(CONTENT_ENCODING, "br")], brotli).into_response();
    }
    match tokio::fs::read_to_string(&minified).await {
        Ok(body) => (plain, body).into_response(),
        Err(_) => (plain, LOADER).into_response(),
    }
}

/// Whether the request's `Accept-Encoding` lists brotli.
fn accepts_brotli(headers: &HeaderMap) -> bool {
    headers
        .get_all(ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|coding| coding.split(';').next().is_some_and(|c| c.trim() == "br"))
}

/// `sites/{site}/settings.js`: hands the loader its site's public settings.
///
/// A script rather than JSON so that a host page whose CSP allows the Ito origin only in
/// `script-src` (and not in `connect-src`) still works. A 404 makes the loader's script
/// element fail, which is how it learns the site is unknown.
pub async fn site_settings(
    State(state): State<AppState>,
    Path(site): Path<String>,
) -> Result<impl IntoResponse, HttpError> {
    let site = known_site(&state, &site)?;
    let json = serde_json::to_string(&site.public_settings()).map_err(HttpError::internal)?;
    let body = format!("Ito._boot({json});\n");
    Ok((
        [
            (CONTENT_TYPE, JAVASCRIPT),
            (CACHE_CONTROL, "public, max-age=60"),
        ],
        body,
    ))
}

/// `sites/{site}/kb/{locale}.json`: the knowledge base a visitor in that language gets.
///
/// `no-cache` with an ETag: the browser keeps its copy and asks each time, and an unchanged
/// base costs a 304 with no body.
pub async fn knowledge_base(
    State(state): State<AppState>,
    Path((site, file)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, HttpError> {
    let site = known_site(&state, &site)?;
    let locale: Locale = file
        .strip_suffix(".json")
        .and_then(|code| code.parse().ok())
        .ok_or(HttpError::NotFound("no such knowledge base"))?;
    let bases = state.bases.current();
    let base = bases
        .for_visitor(site, locale)
        .ok_or(HttpError::NotFound("this site has no knowledge base"))?;
    let cache = [
        (CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        (
            ETAG,
            HeaderValue::from_str(&base.etag).map_err(HttpError::internal)?,
        ),
    ];
    let fresh = headers
        .get_all(IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|tag| tag.trim() == base.etag || tag.trim() == "*");
    if fresh {
        return Ok((StatusCode::NOT_MODIFIED, cache).into_response());
    }
    let json = HeaderValue::from_static("application/json");
    if accepts_brotli(&headers) {
        let encoding = [(CONTENT_ENCODING, HeaderValue::from_static("br"))];
        return Ok((
            cache,
            [(CONTENT_TYPE, json)],
            encoding,
            base.brotli.to_vec(),
        )
            .into_response());
    }
    Ok((cache, [(CONTENT_TYPE, json)], base.json.to_string()).into_response())
}

/// `embed/{site}`: the widget's HTML page, with the site's theme and strings in it, allowed in
/// frames only on the site's own origins.
pub async fn widget_page(
    State(state): State<AppState>,
    Path(site): Path<String>,
    Query(query): Query<WidgetQuery>,
    headers: HeaderMap,
) -> Result<impl IntoResponse, HttpError> {
    let site = known_site(&state, &site)?;
    // The widget talks to the host page at this origin: only one the site allows (the frame
    // ancestors then make sure it is the page that really frames it).
    if let Some(origin) = &query.origin
        && !super::chat::site_allows(&state.config.server, site, &headers, origin)
    {
        return Err(HttpError::Forbidden(
            "this origin may not embed the site's widget: add it to allowed_origins",
        ));
    }
    let index = state.config.server.assets.join("widget/index.html");
    let html = match tokio::fs::read_to_string(&index).await {
        Ok(html) => html,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(HttpError::NotBuilt("widget"));
        }
        Err(e) => return Err(HttpError::internal(format!("{}: {e}", index.display()))),
    };
    let offers = Offers {
        semantic: state.answers.is_on(),
        mail: state.config.server.smtp.is_some(),
        attach: state.config.server.attachments.accept(),
        attach_max_bytes: state.config.server.attachments.max_bytes,
    };
    let page = WidgetPage::new(&html, site, offers).map_err(HttpError::internal)?;
    Ok((
        [
            (CONTENT_SECURITY_POLICY, page.csp),
            (CACHE_CONTROL, "no-cache".to_owned()),
        ],
        Html(page.html),
    ))
}

/// What the loader puts after `/embed/{site}`.
#[derive(serde::Deserialize)]
pub struct WidgetQuery {
    /// The host page's origin.
    origin: Option<String>,
}

/// The built page with the site's theme and settings added, and the policy that lets exactly
/// those inline pieces run (by hash), and nothing else.
struct WidgetPage {
    html: String,
    csp: String,
}

/// What this server does for every site's widget beyond the site's own settings.
struct Offers {
    semantic: bool,
    mail: bool,
    /// The file types taken, as a file picker's `accept`, and the largest file.
    attach: String,
    attach_max_bytes: u64,
}

impl WidgetPage {
    fn new(built: &str, site: &SiteConfig, offers: Offers) -> Result<WidgetPage, String> {
        let css = site.theme.widget_css();
        let settings = WidgetSettings {
            bot_name: site.theme.bot_name.clone(),
            bot_avatar: site.theme.bot_avatar.clone(),
            // The mail's words are the server's; the widget gets only its own.
            strings: site
                .strings
                .iter()
                .map(|(locale, words)| {
                    let widget_words = words
                        .iter()
                        .filter(|(key, _)| !key.starts_with("mail."))
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect();
                    (*locale, widget_words)
                })
                .collect(),
            pre_chat: site.pre_chat.clone(),
            semantic: offers.semantic,
            mail: offers.mail,
            attach: offers.attach,
            attach_max_bytes: offers.attach_max_bytes,
            open_spans: site.hours.as_ref().map(|hours| {
                hours
                    .open_spans(jiff::Timestamp::now(), WIDGET_HORIZON_DAYS)
                    .into_iter()
                    .map(|(start, end)| (start.as_second() as u64, end.as_second() as u64))
                    .collect()
            }),
        };
        // `<` escaped so no value can close the element it sits in.
        let json = serde_json::to_string(&settings)
            .map_err(|e| e.to_string())?
            .replace('<', "\\u003c");
        let head_end = built
            .find("</head>")
            .ok_or("the built widget page has no </head>")?;
        let html = format!(
            "{}<style>{css}</style><script type=\"application/json\" id=\"ito-site\">{json}</script>{}",
            &built[..head_end],
            &built[head_end..]
        );
        // Trunk's inline start-up module, allowed by its hash.
        let scripts: Vec<String> = inline_elements(built, "<script type=module>", "</script>")
            .map(csp_hash)
            .collect();
        let ancestors: Vec<&str> = site
            .allowed_origins
            .iter()
            .map(|o| o.csp_source())
            .collect();
        let csp = format!(
            "default-src 'self'; script-src 'self' 'wasm-unsafe-eval' {}; style-src 'self' {}; img-src 'self' https: data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors {}",
            scripts.join(" "),
            csp_hash(&css),
            ancestors.join(" ")
        );
        Ok(WidgetPage { html, csp })
    }
}

/// The console page's policy: its own files, Trunk's inline start-up module by hash, never
/// framed.
pub(super) fn console_csp(built: &str) -> String {
    let scripts: Vec<String> = inline_elements(built, "<script type=module>", "</script>")
        .map(csp_hash)
        .collect();
    format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval' {}; style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
        scripts.join(" ")
    )
}

/// The contents of each `open`…`close` element in `html`.
fn inline_elements<'a>(
    html: &'a str,
    open: &'a str,
    close: &'a str,
) -> impl Iterator<Item = &'a str> + 'a {
    html.match_indices(open).filter_map(move |(start, _)| {
        let body = &html[start + open.len()..];
        body.find(close).map(|end| &body[..end])
    })
}

/// A CSP source that allows exactly this inline content.
fn csp_hash(content: &str) -> String {
    use base64::Engine;
    use sha2::Digest;
    let digest = sha2::Sha256::digest(content.as_bytes());
    format!(
        "'sha256-{}'",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

fn known_site<'a>(state: &'a AppState, id: &str) -> Result<&'a SiteConfig, HttpError> {
    state.config.site(id).ok_or(HttpError::UnknownSite)
}
