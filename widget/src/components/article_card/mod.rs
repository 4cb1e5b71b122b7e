use ito_assistant::markdown::{self, Block, Inline};
use leptos::prelude::*;

use crate::i18n::ArticleCardStrings;

/// A help article as the bot's answer: its title and its answer, drawn from Markdown as
/// elements and text nodes only, so nothing in an answer can run as code.
#[component]
pub fn ArticleCard(
    /// The article's title.
    title: String,
    /// The answer in Markdown.
    answer: String,
    /// Words read to screen readers, in the visitor's language.
    strings: ArticleCardStrings,
    /// Shown under the answer (the feedback buttons).
    #[prop(optional)]
    children: Option<Children>,
) -> impl IntoView {
    let new_tab = strings.new_tab;
    let body: Vec<AnyView> = markdown::parse(&answer)
        .into_iter()
        .map(|block| block_view(block, new_tab))
        .collect();
    view! {
        <article class="ito-article-card">
            <h2 class="ito-article-card__title">{title}</h2>
            <div class="ito-article-card__body">{body}</div>
            {children.map(|c| c())}
        </article>
    }
}

fn block_view(block: Block, new_tab: &str) -> AnyView {
    match block {
        Block::Heading(inlines) => {
            view! { <p class="ito-article-card__heading">{inline_views(inlines, new_tab)}</p> }
                .into_any()
        }
        Block::Paragraph(inlines) => view! { <p>{inline_views(inlines, new_tab)}</p> }.into_any(),
        Block::List { ordered, items } => {
            let items: Vec<AnyView> = items
                .into_iter()
                .map(|item| view! { <li>{inline_views(item, new_tab)}</li> }.into_any())
                .collect();
            if ordered {
                view! { <ol>{items}</ol> }.into_any()
            } else {
                view! { <ul>{items}</ul> }.into_any()
            }
        }
    }
}

fn inline_views(inlines: Vec<Inline>, new_tab: &str) -> Vec<AnyView> {
    inlines
        .into_iter()
        .map(|inline| match inline {
            Inline::Text(text) => text.into_any(),
            Inline::Code(code) => view! { <code>{code}</code> }.into_any(),
            Inline::Strong(inner) => {
                view! { <strong>{inline_views(inner, new_tab)}</strong> }.into_any()
            }
            Inline::Emphasis(inner) => view! { <em>{inline_views(inner, new_tab)}</em> }.into_any(),
            Inline::Link { url, content } => view! {
                <a href=url target="_blank" rel="noopener noreferrer">
                    {inline_views(content, new_tab)}
                    <span class="ito-visually-hidden">" "{new_tab.to_owned()}</span>
                </a>
            }
            .into_any(),
        })
        .collect()
}
