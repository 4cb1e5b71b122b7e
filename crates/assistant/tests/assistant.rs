//! The assistant as the widget and the CLI use it: a small shop base, asked the way visitors ask.

use ito_assistant::{Assistant, KnowledgeBase, Outcome};

const BASE: &str = r#"
locale = "en"
synonyms = [["refund", "money back"], ["parcel", "package", "shipment"], ["返品", "へんぴん"]]

[[article]]
id = "order-status"
title = "Where is my order?"
questions = ["where is my parcel", "track my order", "my order has not arrived", "tracking number please", "when will my package come"]
answer = "Use the tracking link in your confirmation email."

[[article]]
id = "refund-timing"
title = "When will I get my refund?"
questions = ["how long does a refund take", "refund still not received", "when do i get my money back", "refund status"]
answer = "Refunds reach your card within 5 business days."

[[article]]
id = "return-policy"
title = "Returning an item"
questions = ["how do i return shoes", "can i send an item back", "return policy", "return a jacket that does not fit"]
answer = "Return unworn items within 30 days."

[[article]]
id = "size-guide"
title = "Size guide"
questions = ["what size should i buy", "do your jackets run small", "size chart", "which size fits me"]
answer = "See the size chart on each product page."

[[article]]
id = "payment-methods"
title = "Payment methods"
questions = ["which cards do you accept", "can i pay with paypal", "payment options", "do you take amex"]
answer = "Visa, Mastercard, Amex, PayPal."

[[article]]
id = "ja-returns"
title = "返品について"
questions = ["返品したい", "商品を返品できますか", "サイズが合わないので返したい", "返品の方法を教えて"]
answer = "30日以内なら返品できます。"

[[article]]
id = "ja-shipping"
title = "配送日数"
questions = ["いつ届きますか", "配送にかかる日数", "荷物が届かない", "発送はいつ"]
answer = "通常2〜3日でお届けします。"
"#;

fn assistant() -> Assistant {
    Assistant::new(KnowledgeBase::parse(BASE).unwrap())
}

fn best(assistant: &Assistant, query: &str) -> String {
    assistant
        .ask(query, 3)
        .hits
        .first()
        .map(|h| h.id.clone())
        .unwrap_or_default()
}

#[test]
fn finds_articles_by_any_way_of_asking() {
    let a = assistant();
    assert_eq!(best(&a, "Where's my package?"), "order-status");
    assert_eq!(
        best(&a, "How long until I get my money back"),
        "refund-timing"
    );
    assert_eq!(best(&a, "can I return boots"), "return-policy");
    assert_eq!(best(&a, "what sizes run small"), "size-guide");
}

#[test]
fn tolerates_typos_and_shouting_case() {
    let a = assistant();
    assert_eq!(best(&a, "wher is my parcle"), "order-status");
    assert_eq!(best(&a, "REFUND STATUS"), "refund-timing");
    assert_eq!(best(&a, "paymnet optoins"), "payment-methods");
}

#[test]
fn reads_japanese_without_spaces_and_in_kana_or_full_width() {
    let a = assistant();
    assert_eq!(best(&a, "へんぴんしたいんだけど"), "ja-returns");
    assert_eq!(best(&a, "にもつがとどかない"), "ja-shipping");
    assert_eq!(best(&a, "荷物いつ届く？"), "ja-shipping");
    assert_eq!(best(&a, "ＲＥＦＵＮＤ status"), "refund-timing");
}

#[test]
fn clear_questions_are_answered_and_nonsense_is_unsure() {
    let a = assistant();
    let reply = a.ask("how long does a refund take to arrive", 3);
    assert_eq!(reply.outcome, Outcome::Answer, "{reply:?}");
    assert_eq!(reply.hits[0].id, "refund-timing");
    for nonsense in [
        "what is the capital of mongolia",
        "purple elephants dance quietly",
        "?",
    ] {
        assert_eq!(a.ask(nonsense, 3).outcome, Outcome::Unsure, "{nonsense}");
    }
}

#[test]
fn requests_for_a_person_hand_off() {
    let a = assistant();
    for q in [
        "talk to a human",
        "agent please",
        "オペレーターと話したい",
        "人と話したい",
    ] {
        let reply = a.ask(q, 3);
        assert_eq!(reply.outcome, Outcome::Handoff, "{q}");
        assert!(reply.hits.is_empty());
    }
}

#[test]
fn hostile_input_gets_an_outcome_not_a_panic() {
    let a = assistant();
    let huge = "where is my parcel ".repeat(6000); // about 110 KB
    assert!(huge.len() > 100_000);
    assert_eq!(best(&a, &huge), "order-status");
    for q in [
        "",
        "   ",
        "\u{0}\u{1}\u{7f}",
        "🙂🙂🙂",
        "\u{202e}\u{200b}",
        "<script>alert(1)</script>",
    ] {
        let reply = a.ask(q, 3);
        assert_eq!(reply.outcome, Outcome::Unsure, "{q:?} gave {reply:?}");
    }
}

#[test]
fn scores_are_between_zero_and_one_and_sorted() {
    let a = assistant();
    let reply = a.ask("return refund parcel size", 5);
    assert!(reply.hits.len() >= 3);
    assert!(reply.hits.windows(2).all(|w| w[0].score >= w[1].score));
    assert!(reply.hits.iter().all(|h| (0.0..=1.0).contains(&h.score)));
}

#[test]
fn a_tiny_base_still_decides() {
    let base = KnowledgeBase::parse(
        r#"{"locale": "en", "articles": [{"id": "a", "title": "Opening hours", "questions": [], "answer": "9 to 5", "tags": []}]}"#,
    )
    .unwrap();
    let a = Assistant::new(base);
    assert_eq!(a.ask("opening hours", 3).hits[0].id, "a");
    assert_eq!(a.ask("quantum physics", 3).outcome, Outcome::Unsure);
}
