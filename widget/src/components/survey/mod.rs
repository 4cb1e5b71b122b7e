use leptos::html::Textarea;
use leptos::prelude::*;

use crate::i18n::SurveyStrings;

/// What the visitor answered: (CSAT 1-5, CES 1-7, comment), each optional.
pub type SurveyAnswer = (Option<u8>, Option<u8>, Option<String>);

/// Faces for the CSAT scores 1 to 5 (their words are read to screen readers).
const FACES: [&str; 5] = ["😞", "🙁", "😐", "🙂", "😄"];

/// The satisfaction (1-5, labelled faces) and effort (1-7, labelled ends) survey with an
/// optional comment; it can be skipped.
#[component]
pub fn Survey(
    /// The questions and labels in the visitor's language.
    strings: SurveyStrings,
    /// Called with the answer, or `None` when the visitor skips.
    on_answer: Callback<Option<SurveyAnswer>>,
) -> impl IntoView {
    let (csat, ces) = (RwSignal::new(None::<u8>), RwSignal::new(None::<u8>));
    let comment = NodeRef::<Textarea>::new();
    let labels: Vec<String> = strings.csat_labels.split('|').map(str::to_owned).collect();
    // One row of score buttons; the CSAT row shows faces, the CES row numbers.
    let scale = move |question: &'static str,
                      picked: RwSignal<Option<u8>>,
                      names: Vec<String>,
                      faces: bool| {
        let buttons = names
            .into_iter()
            .enumerate()
            .map(|(i, name)| {
                let score = i as u8 + 1;
                let face = FACES.get(i).filter(|_| faces);
                view! {
                    <button
                        type="button"
                        class="ito-survey__score"
                        aria-pressed=move || (picked.get() == Some(score)).to_string()
                        aria-label=name
                        on:click=move |_| picked.set(Some(score))
                    >
                        {face.map_or_else(|| score.to_string(), |f| (*f).to_owned())}
                    </button>
                }
            })
            .collect_view();
        view! {
            <fieldset class="ito-survey__scale">
                <legend>{question}</legend>
                {buttons}
            </fieldset>
        }
    };
    let ces_names: Vec<String> = (1..=7)
        .map(|n| match n {
            1 => format!("1 – {}", strings.ces_low),
            7 => format!("7 – {}", strings.ces_high),
            n => n.to_string(),
        })
        .collect();
    let send = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let text = comment
            .get_untracked()
            .map(|c| c.value().trim().to_owned())
            .filter(|c| !c.is_empty());
        on_answer.run(Some((csat.get_untracked(), ces.get_untracked(), text)));
    };
    view! {
        <form class="ito-survey" on:submit=send>
            {scale(strings.csat, csat, labels, true)}
            {scale(strings.ces, ces, ces_names, false)}
            <p class="ito-survey__ends" aria-hidden="true">
                <span>{strings.ces_low}</span>
                <span>{strings.ces_high}</span>
            </p>
            <textarea class="ito-survey__comment" rows="2" aria-label=strings.comment placeholder=strings.comment node_ref=comment></textarea>
            <div class="ito-survey__actions">
                <button type="button" class="ito-survey__skip" on:click=move |_| on_answer.run(None)>
                    {strings.skip}
                </button>
                <button type="submit" class="ito-survey__send">{strings.send}</button>
            </div>
        </form>
    }
}
