use leptos::prelude::*;

use crate::i18n::MessageListStrings;
use crate::thread::{Author, ChatLine};

/// The conversation, oldest first, announced to screen readers as it grows.
#[component]
pub fn MessageList(
    /// The bot's opening line, always first.
    greeting: String,
    /// The lines of the thread, oldest first.
    lines: Signal<Vec<ChatLine>>,
    /// Labels in the visitor's language.
    strings: MessageListStrings,
) -> impl IntoView {
    let author_label = move |author: Author| match author {
        Author::Visitor => strings.you.clone(),
        Author::Bot => strings.bot.clone(),
    };
    let bot = author_label(Author::Bot);
    view! {
        <ol class="ito-message-list" aria-label=strings.label.clone() aria-live="polite">
            <li class="ito-message-list__line ito-message-list__line--bot">
                <span class="ito-visually-hidden">{bot}": "</span>
                {greeting}
            </li>
            <For
                each=move || lines.get()
                key=|line| line.id
                children=move |line| {
                    let class = match line.author {
                        Author::Visitor => "ito-message-list__line ito-message-list__line--visitor",
                        Author::Bot => "ito-message-list__line ito-message-list__line--bot",
                    };
                    view! {
                        <li class=class>
                            <span class="ito-visually-hidden">{author_label(line.author)}": "</span>
                            {line.text}
                        </li>
                    }
                }
            />
        </ol>
    }
}
