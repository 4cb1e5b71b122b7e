//! The sites an installation serves, as `ito.toml` describes them.
//!
//! - [`config`]: `ito.toml`, validated, with errors that name the file.
//! - [`theme`]: a site's colours, font, shape, bot identity, custom CSS and strings.
//! - [`knowledge`]: the sites' knowledge bases, checked at start-up and served with ETags.
//! - [`file_types`]: what a file sent in a conversation may be, by its first bytes, claimed type and name.
//! - [`thumbnails`]: the small copy of an image that threads show, made when it is taken.
//! - [`hours`]: business hours in the site's time zone, with holidays.
//! - [`identity`]: verifying identified visitors' signatures (HMAC-SHA256 with the site's secret).

pub mod config;
pub mod file_types;
pub mod hours;
pub mod identity;
pub mod knowledge;
pub mod theme;
pub mod thumbnails;
