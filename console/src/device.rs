//! A user agent string read as what an agent wants to know: which browser on what.
//! Only the common families; anything else is shown as it came.

/// "Chrome 131 on Windows", "Safari 17 on iPhone", or the raw string when unknown.
pub fn describe(user_agent: &str) -> String {
    let browser = browser(user_agent);
    let system = system(user_agent);
    match (browser, system) {
        (Some(b), Some(s)) => format!("{b} on {s}"),
        (Some(b), None) => b,
        (None, Some(s)) => s.to_owned(),
        (None, None) => user_agent.chars().take(120).collect(),
    }
}

fn version_after(user_agent: &str, marker: &str) -> Option<String> {
    let rest = &user_agent[user_agent.find(marker)? + marker.len()..];
    let major: String = rest.chars().take_while(char::is_ascii_digit).collect();
    (!major.is_empty()).then_some(major)
}

fn browser(ua: &str) -> Option<String> {
    // Order matters: Edge and Opera say "Chrome" too, Chrome says "Safari".
    for (marker, name) in [
        ("Edg/", "Edge"),
        ("OPR/", "Opera"),
        ("Firefox/", "Firefox"),
        ("FxiOS/", "Firefox"),
        ("CriOS/", "Chrome"),
        ("Chrome/", "Chrome"),
    ] {
        if let Some(version) = version_after(ua, marker) {
            return Some(format!("{name} {version}"));
        }
    }
    if ua.contains("Safari/") {
        return Some(match version_after(ua, "Version/") {
            Some(version) => format!("Safari {version}"),
            None => "Safari".to_owned(),
        });
    }
    None
}

fn system(ua: &str) -> Option<&'static str> {
    [
        ("iPhone", "iPhone"),
        ("iPad", "iPad"),
        ("Android", "Android"),
        ("Windows", "Windows"),
        ("Mac OS X", "macOS"),
        ("CrOS", "ChromeOS"),
        ("Linux", "Linux"),
    ]
    .into_iter()
    .find(|(marker, _)| ua.contains(marker))
    .map(|(_, name)| name)
}
