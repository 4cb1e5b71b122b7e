//! Wire types shared by every part of Ito: the server (native), the widget and the console (wasm).
//!
//! Nothing here performs I/O; these are plain serde types with the rules that make them valid.
//!
//! - [`chat`]: the live chat over WebSocket: one versioned enum per direction for visitors and agents.
//! - [`site`]: [`SiteId`], the name a site owner puts in `data-site`, and its validation.
//! - [`locale`]: [`Locale`], the languages Ito speaks.
//! - [`embed`]: the `postMessage` frames between the loader (`ito.js`) and the widget iframe.
//! - [`metrics`]: a site's measures, days, score distributions and comments, as reported.
//! - [`visitor_frames`]: the server's frames read by hand in the widget (smaller than serde's derive).
//! - [`site_settings`]: the public part of a site's configuration the loader and widget receive.

pub mod chat;
pub mod embed;
pub mod locale;
pub mod metrics;
pub mod site;
pub mod site_settings;
pub mod visitor_frames;

pub use locale::Locale;
pub use site::SiteId;
