//! The site's business hours in the visitor's words and on the visitor's clock: what the
//! greeting adds, and what replaces "no one is available", while the team is away. Which
//! moments are open is the server's to say (`WidgetSettings::open_spans`, from the site's
//! time zone and holidays); this only compares them with the browser's clock.

use ito_protocol::site_settings::{Team, WidgetSettings};
use wasm_bindgen::JsValue;

use crate::i18n::{Strings, keep};

/// Outside business hours, adds when the team is back to the greeting and puts it in place of
/// "no one is available" in the queue; nothing while the team is in (or keeps no set hours).
/// Said once, when the widget starts: the loader starts it when the page is idle or the
/// visitor reaches for the launcher.
pub fn say_when_away(settings: &WidgetSettings, strings: &mut Strings, locale: &str) {
    let now = (js_sys::Date::now() / 1000.0) as u64;
    let Team::Away { back } = settings.team(now) else {
        return;
    };
    let greeting = match back {
        Some(back) => {
            let when = local_time(back, locale);
            strings.bot.nobody_online = keep(strings.bot.away.replace("{when}", &when));
            strings.panel.away.replace("{when}", &when)
        }
        None => strings.panel.away_long.to_owned(),
    };
    strings.panel.greeting = keep(format!("{} {greeting}", strings.panel.greeting));
}

/// `seconds` as the visitor's clock shows it: weekday, time and zone ("Monday 9:00 AM GMT+1").
fn local_time(seconds: u64, locale: &str) -> String {
    let date = js_sys::Date::new(&JsValue::from_f64(seconds as f64 * 1000.0));
    let options = js_sys::JSON::parse(
        r#"{"weekday":"long","hour":"numeric","minute":"2-digit","timeZoneName":"short"}"#,
    )
    .expect("the options are JSON");
    date.to_locale_string(locale, &options).into()
}
