use leptos::prelude::*;

use crate::i18n::FeedbackStrings;
use crate::thread::Feedback as Verdict;

/// "Did this help?" with Yes and No; once answered, the answer in words instead.
#[component]
pub fn Feedback(
    /// The question, the buttons and the answered state, in the visitor's language.
    strings: FeedbackStrings,
    /// The verdict already given, if any.
    given: Option<Verdict>,
    /// Called with the visitor's verdict.
    on_feedback: Callback<Verdict>,
) -> impl IntoView {
    let question = strings.question;
    match given {
        Some(verdict) => {
            let text = match verdict {
                Verdict::Helpful => strings.helpful,
                Verdict::NotHelpful => strings.not_helpful,
            };
            view! { <p class="ito-feedback ito-feedback--given">{text}</p> }.into_any()
        }
        None => view! {
            <div class="ito-feedback" role="group" aria-label=question>
                <span class="ito-feedback__question">{strings.question}</span>
                <button
                    type="button"
                    class="ito-feedback__button"
                    on:click=move |_| on_feedback.run(Verdict::Helpful)
                >
                    {strings.yes}
                </button>
                <button
                    type="button"
                    class="ito-feedback__button"
                    on:click=move |_| on_feedback.run(Verdict::NotHelpful)
                >
                    {strings.no}
                </button>
            </div>
        }
        .into_any(),
    }
}
