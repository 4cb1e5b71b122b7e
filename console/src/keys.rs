//! The console's keyboard shortcuts as plain data, so they are listed and tested in one place.
//! Alt combinations, because agents spend their day typing in the composer.

/// What a shortcut does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Next,
    Previous,
    Claim,
    Resolve,
    /// Put the cursor in the reply box.
    Reply,
    /// Find an FAQ answer to insert.
    InsertAnswer,
    ToggleOnline,
}

/// The action of a key press with Alt held, by `KeyboardEvent.code` (layout-independent, so
/// Japanese keyboards and IMEs do not change it).
pub fn action(code: &str, alt: bool, ctrl_or_meta: bool) -> Option<Action> {
    if !alt || ctrl_or_meta {
        return None;
    }
    Some(match code {
        "ArrowDown" | "KeyJ" => Action::Next,
        "ArrowUp" | "KeyK" => Action::Previous,
        "KeyC" => Action::Claim,
        "KeyR" => Action::Resolve,
        "KeyM" => Action::Reply,
        "KeyA" => Action::InsertAnswer,
        "KeyO" => Action::ToggleOnline,
        _ => return None,
    })
}
