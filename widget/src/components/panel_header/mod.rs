use leptos::prelude::*;

use crate::i18n::PanelStrings;

/// The panel's title bar with its close button.
#[component]
pub fn PanelHeader(
    /// Title and close-button label in the visitor's language.
    strings: PanelStrings,
    /// Called when the visitor closes the panel.
    on_close: Callback<()>,
    /// The bot's name, shown under the title when the site sets one.
    bot_name: Option<String>,
    /// The bot's picture URL, shown beside the title when the site sets one.
    avatar: Option<String>,
) -> impl IntoView {
    view! {
        <header class="ito-panel-header">
            {avatar.map(|src| view! { <img class="ito-panel-header__avatar" src=src alt="" /> })}
            <div class="ito-panel-header__names">
                <h1 class="ito-panel-header__title">{strings.title}</h1>
                {bot_name.map(|name| view! { <p class="ito-panel-header__bot">{name}</p> })}
            </div>
            <button
                type="button"
                class="ito-panel-header__close"
                aria-label=strings.close
                title=strings.close
                on:click=move |_| on_close.run(())
            >
                <svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true">
                    <path d="M6 6l12 12M18 6L6 18" stroke="currentColor" stroke-width="2" stroke-linecap="round" />
                </svg>
            </button>
        </header>
    }
}
