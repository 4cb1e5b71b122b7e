use leptos::prelude::*;

use crate::thread::ArticleRef;

/// Two or three articles the question may be about, as buttons ("chips"). Once one is
/// chosen, the others are disabled and the choice stays marked.
#[component]
pub fn Suggestions(
    /// The bot's line above the chips.
    intro: &'static str,
    /// The candidate articles, best first.
    choices: Vec<ArticleRef>,
    /// The id of the article already chosen, if any.
    chosen: Option<String>,
    /// Called with the id of the article the visitor picks.
    on_choose: Callback<String>,
) -> impl IntoView {
    let done = chosen.is_some();
    let chips = choices
        .into_iter()
        .map(|choice| {
            let picked = chosen.as_deref() == Some(choice.id.as_str());
            let id = choice.id;
            view! {
                <li>
                    <button
                        type="button"
                        class="ito-suggestions__chip"
                        class:ito-suggestions__chip--chosen=picked
                        aria-pressed=if picked { "true" } else { "false" }
                        disabled=done
                        on:click=move |_| on_choose.run(id.clone())
                    >
                        {choice.title}
                    </button>
                </li>
            }
        })
        .collect_view();
    view! {
        <div class="ito-suggestions">
            <p class="ito-suggestions__intro">{intro}</p>
            <ul class="ito-suggestions__chips">{chips}</ul>
        </div>
    }
}
