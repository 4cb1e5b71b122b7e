use leptos::prelude::*;

use crate::components::article_card::ArticleCard;
use crate::components::email_form::EmailForm;
use crate::components::feedback::Feedback;
use crate::components::suggestions::Suggestions;
use crate::components::survey::{Survey, SurveyAnswer};
use crate::context::VisitorContext;
use crate::i18n::{EmailStrings, Strings};
use crate::thread::{ChatLine, Entry, Feedback as Verdict, SurveyState};
use ito_protocol::site_settings::PreChatField;

/// What the visitor can do from inside the conversation.
#[derive(Clone, Copy)]
pub struct LineActions {
    /// A suggestion's chip: (line id, article id).
    pub choose: Callback<(u32, String)>,
    /// "Did this help?": (line id, verdict).
    pub feedback: Callback<(u32, Verdict)>,
    /// "Talk to a person" offered after the bot could not help.
    pub person: Callback<()>,
    /// The survey answered or skipped: (line id, answer).
    pub survey: Callback<(u32, Option<SurveyAnswer>)>,
    /// An address given for mail: (address, whether the transcript is wanted now).
    pub email: Callback<(String, bool)>,
    /// Who the visitor said they are (their address for mail among it), when the site sends
    /// mail; `None` when it sends none.
    pub mail: Option<RwSignal<VisitorContext>>,
}

/// `said`, then the form for an address: for the reply, or with `transcript` for the transcript.
fn with_email_form(
    said: String,
    initial: String,
    transcript: bool,
    strings: &EmailStrings,
    actions: LineActions,
) -> AnyView {
    let prompt = if transcript {
        strings.transcript
    } else {
        strings.follow_up
    };
    view! {
        <p>{said}</p>
        <EmailForm
            prompt=prompt
            strings=*strings
            initial=initial
            on_send=Callback::new(move |address| actions.email.run((address, transcript)))
        />
    }
    .into_any()
}

/// The address the visitor gave (in the pre-chat form, here, or through the host page).
fn known_email(context: RwSignal<VisitorContext>) -> String {
    context.with_untracked(|c| {
        c.email
            .clone()
            .or_else(|| c.visitor.as_ref()?.email.clone())
            .unwrap_or_default()
    })
}

/// The conversation, oldest first, announced to screen readers as it grows.
#[component]
pub fn MessageList(
    /// The bot's opening line, always first.
    greeting: &'static str,

    /// The lines of the thread, oldest first.
    lines: Signal<Vec<ChatLine>>,
    /// Every string of the widget, in the visitor's language.
    strings: Strings,
    /// What the lines' buttons do.
    actions: LineActions,
) -> impl IntoView {
    let bot_label = strings.message_list.bot;
    let label = strings.message_list.label;
    let list = NodeRef::<leptos::html::Ol>::new();
    // The newest line stays in view: after each change, once the browser has laid it out.
    Effect::new(move |_| {
        lines.track();
        request_animation_frame(move || {
            if let Some(list) = list.get_untracked() {
                list.set_scroll_top(list.scroll_height());
            }
        });
    });
    view! {
        <ol class="ito-message-list" aria-label=label aria-live="polite" node_ref=list>
            <li class="ito-message-list__line ito-message-list__line--bot">
                <span class="ito-visually-hidden">{bot_label}": "</span>
                {greeting}
            </li>
            <For
                each=move || lines.get()
                key=|line| (line.id, line.revision)
                children=move |line| line_view(line, strings, actions)
            />
        </ol>
    }
}

fn line_view(line: ChatLine, strings: Strings, actions: LineActions) -> impl IntoView {
    let (class, author) = match &line.entry {
        Entry::Visitor { .. } | Entry::File { by: None, .. } => (
            "ito-message-list__line ito-message-list__line--visitor",
            strings.message_list.you.to_owned(),
        ),
        // A person's words, under their own name.
        Entry::Agent { name, .. } | Entry::File { by: Some(name), .. } => (
            "ito-message-list__line ito-message-list__line--bot",
            name.clone(),
        ),
        _ => (
            "ito-message-list__line ito-message-list__line--bot",
            strings.message_list.bot.to_owned(),
        ),
    };
    let id = line.id;
    let bot = strings.bot;
    let talk_to_person = strings.panel.talk_to_person;
    let person_button = move || {
        view! {
            <button
                type="button"
                class="ito-message-list__person"
                on:click=move |_| actions.person.run(())
            >
                {talk_to_person}
            </button>
        }
    };
    let (card_strings, feedback_strings) = (strings.article_card, strings.feedback);
    let email = strings.email;
    let content = match line.entry {
        Entry::Visitor { text } => text.into_any(),
        Entry::Answer {
            article,
            answer,
            feedback,
            ..
        } => view! {
            <ArticleCard title=article.title answer=answer strings=card_strings>
                <Feedback
                    strings=feedback_strings
                    given=feedback
                    on_feedback=Callback::new(move |verdict| actions.feedback.run((id, verdict)))
                />
            </ArticleCard>
        }
        .into_any(),
        Entry::Suggestions { choices, chosen } => view! {
            <Suggestions
                intro=bot.suggestions
                choices=choices
                chosen=chosen
                on_choose=Callback::new(move |article| actions.choose.run((id, article)))
            />
        }
        .into_any(),
        Entry::Unsure => view! { <p>{bot.unsure}</p> {person_button()} }.into_any(),
        Entry::Sorry => view! { <p>{bot.sorry}</p> {person_button()} }.into_any(),
        Entry::Frustrated => view! { <p>{bot.frustrated}</p> {person_button()} }.into_any(),
        Entry::Unavailable => view! { <p>{bot.unavailable}</p> {person_button()} }.into_any(),
        Entry::PersonRequested => bot.person_requested.into_any(),
        Entry::PreChatAsk { field, again } => {
            let asks = strings.pre_chat;
            match (field, again) {
                (PreChatField::Name, false) => asks.name,
                (PreChatField::Name, true) => asks.bad_name,
                (PreChatField::Email, false) => asks.email,
                (PreChatField::Email, true) => asks.bad_email,
            }
            .into_any()
        }
        Entry::Queue {
            position,
            wait_secs,
            nobody_online,
        } => {
            let place = bot.queue.replace("{position}", &position.to_string());
            let then = match (nobody_online, wait_secs) {
                (true, _) => bot.nobody_online.to_owned(),
                (false, Some(secs)) if secs < 60 => bot.wait_soon.to_owned(),
                (false, Some(secs)) => bot
                    .wait
                    .replace("{minutes}", &secs.div_ceil(60).to_string()),
                (false, None) => String::new(),
            };
            let said = format!("{place} {then}");
            // Nobody can answer now: the reply may go by mail, if the visitor gave no address yet.
            let unknown = actions
                .mail
                .filter(|c| nobody_online && known_email(*c).is_empty());
            match unknown {
                Some(_) => with_email_form(said, String::new(), false, &email, actions),
                None => said.into_any(),
            }
        }
        Entry::AgentJoined { name, taking_over } => {
            let said = if taking_over {
                &bot.agent_taking_over
            } else {
                &bot.agent_joined
            };
            said.replace("{name}", &name).into_any()
        }
        Entry::Agent { text, .. } => text.into_any(),
        Entry::Resolved | Entry::Ended => {
            let said = if line.entry == Entry::Resolved {
                bot.resolved
            } else {
                bot.ended
            };
            match actions.mail.map(known_email) {
                Some(known) => with_email_form(said.to_owned(), known, true, &email, actions),
                None => said.into_any(),
            }
        }
        Entry::EmailKept => bot.email_kept.into_any(),
        Entry::TranscriptSent => bot.transcript_sent.into_any(),
        Entry::EmailRefused => bot.email_refused.into_any(),
        Entry::Restarted => view! { <hr /> {bot.restarted} }.into_any(),
        Entry::Survey {
            state: SurveyState::Asked,
        } => view! {
            <Survey
                strings=strings.survey
                on_answer=Callback::new(move |answer| actions.survey.run((id, answer)))
            />
        }
        .into_any(),
        Entry::Survey {
            state: SurveyState::Answered,
        } => strings.survey.thanks.into_any(),
        Entry::Survey {
            state: SurveyState::Skipped,
        } => strings.survey.skipped.into_any(),
        Entry::Glad => bot.glad.into_any(),
        // Images show as their thumbnail and open whole in a tab; PDFs download.
        Entry::File {
            name,
            href,
            image: true,
            ..
        } => {
            let src = href.replacen('?', "/thumbnail?", 1);
            view! {
                <a href=href target="_blank" rel="noopener">
                    <img class="ito-message-list__image" src=src alt=name />
                </a>
            }
            .into_any()
        }
        // Served as a download (`Content-Disposition: attachment`).
        Entry::File { name, href, .. } => view! {
            <a class="ito-message-list__file" href=href>{name}</a>
        }
        .into_any(),
    };
    view! {
        <li class=class>
            <span class="ito-visually-hidden">{author}": "</span>
            {content}
        </li>
    }
}
