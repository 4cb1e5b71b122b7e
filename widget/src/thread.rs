//! The conversation as the widget shows it: plain data and the rules of how it moves,
//! tested without a view. Views read [`Thread::lines`] and call the methods here.
//!
//! A line keeps what the visitor saw (the article's title and answer as they were), so a
//! thread restored after a reload, or read by an agent later, shows the same words even if
//! the knowledge base changed since.

use ito_assistant::{Assistant, Outcome, Reply};
use ito_protocol::chat::{Attachment, Author, EventKind, HandoffReason, TranscriptLine};
use ito_protocol::site_settings::PreChatField;
use serde::Serialize;

/// The longest message a visitor may send, in characters (the server's limit is 64 KiB).
pub const MAX_MESSAGE_CHARS: usize = 4000;

/// Whether `email` looks like an address: something, an @, a domain with a dot inside.
pub fn plausible_email(email: &str) -> bool {
    email.split_once('@').is_some_and(|(user, domain)| {
        !user.is_empty()
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains('@')
    }) && !email.chars().any(char::is_whitespace)
}

/// How many candidates a suggestion offers at most.
const SUGGESTIONS: usize = 3;
/// A candidate is offered only if it scores at least this share of the best one: a far
/// weaker third hit is noise, and offering it makes the bot look lost.
const SUGGESTION_SHARE: f32 = 0.5;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ArticleRef {
    pub id: String,
    pub title: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Feedback {
    Helpful,
    NotHelpful,
}

/// What one line of the conversation says. Stored as serde writes it; read back by hand
/// (`thread_json`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum Entry {
    /// The visitor's own words.
    Visitor { text: String },
    /// The article the bot is confident about, with the visitor's verdict once given.
    Answer {
        article: ArticleRef,
        /// The answer's Markdown.
        answer: String,
        /// The assistant's score, kept for the handoff context.
        score: f32,
        feedback: Option<Feedback>,
    },
    /// Two or three articles the question may be about, and which one the visitor chose.
    Suggestions {
        choices: Vec<ArticleRef>,
        chosen: Option<String>,
    },
    /// The bot did not find anything it trusts.
    Unsure,
    /// The visitor sounds frustrated (a repeated question, angry words, shouting): the bot
    /// offers a person.
    Frustrated,
    /// Before the handoff, the bot asks what the site wants to know and nobody said yet (the
    /// pre-chat questions); `again` when the last answer was not valid.
    PreChatAsk { field: PreChatField, again: bool },
    /// The visitor wants a person; says what happens next.
    PersonRequested,
    /// The bot's reply to "this helped".
    Glad,
    /// The bot's reply to "this did not help".
    Sorry,
    /// The articles could not be loaded, so the bot cannot answer.
    Unavailable,
    /// The visitor's place in the queue for a person (updated in place as it moves), the
    /// expected wait when the server can say, and whether nobody is online to answer now.
    Queue {
        position: u32,
        #[serde(default)]
        wait_secs: Option<u32>,
        #[serde(default)]
        nobody_online: bool,
    },
    /// A person joined the conversation; `taking_over` when another was with the visitor
    /// and handed it to them.
    AgentJoined { name: String, taking_over: bool },
    /// A person's words.
    Agent { name: String, text: String },
    /// The person marked the conversation resolved.
    Resolved,
    /// The visitor ended the chat.
    Ended,
    /// The server no longer had the conversation (its token expired, or the server's data
    /// was replaced): a quiet divider, and what follows is a new conversation.
    Restarted,
    /// The satisfaction and effort survey, asked once the conversation is over.
    Survey { state: SurveyState },
    /// The server keeps the visitor's address: a reply they miss is mailed to them.
    EmailKept,
    /// The transcript the visitor asked for is on its way.
    TranscriptSent,
    /// The server would not mail that address (or not again): the form's answer is no.
    EmailRefused,
    /// A file sent in the conversation: `by` names the person who sent it, `None` when the
    /// visitor did; `href` fetches it (with the conversation's token); images are shown.
    File {
        by: Option<String>,
        name: String,
        href: String,
        image: bool,
    },
}

/// One bot reply with the question it replied to, as reported to the server.
#[derive(Debug, Clone, PartialEq)]
pub struct BotReply {
    pub line: u32,
    pub question: String,
    /// The article answered with; `None` for suggestions or when unsure.
    pub article: Option<String>,
    pub unsure: bool,
}

/// Where the survey stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum SurveyState {
    Asked,
    Answered,
    Skipped,
}

impl Entry {
    pub fn is_visitor(&self) -> bool {
        matches!(self, Entry::Visitor { .. })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChatLine {
    /// Unique within the thread.
    pub id: u32,
    /// Grows when the line changes (feedback given, suggestion chosen), so a view keyed by
    /// (id, revision) redraws exactly the lines that changed.
    pub revision: u32,
    pub entry: Entry,
}

/// The conversation. Visitor questions asked before the articles have loaded wait in
/// `unanswered` and are answered, in order, once they arrive.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Thread {
    lines: Vec<ChatLine>,
    #[serde(default)]
    unanswered: Vec<u32>,
    /// What the site asks before a handoff that nobody has said yet: asking for a person asks
    /// these first. Kept up to date by the view.
    #[serde(skip)]
    pub ask_first: Vec<PreChatField>,
    /// Whether the server may be asked for answers by meaning (until it says it has none).
    #[serde(skip)]
    pub server_answers: bool,
    /// What the server is being asked about, while it is.
    #[serde(skip)]
    consulting: Option<Consultation>,
    /// How many consultations there have been: each has its own ticket, so a late reply
    /// never settles a later one about the same question.
    #[serde(skip)]
    tickets: u32,
    /// The questions the server was already asked about (asking again tells nothing new).
    #[serde(skip)]
    asked_server: Vec<u32>,
    /// Each bot reply's line with the visitor's line it replied to, for the reports. Not
    /// kept: a restored thread's replies were reported before the reload.
    #[serde(skip)]
    replied_to: Vec<(u32, u32)>,
}

/// A question for the server, as the widget sends it.
#[derive(Debug, Clone, PartialEq)]
pub struct ServerQuestion {
    /// Which consultation its reply settles.
    pub ticket: u32,
    pub text: String,
    /// The article the visitor said did not help: the server is asked about the others.
    pub rejected: Option<String>,
}

/// One question to the server.
#[derive(Debug, Clone, PartialEq)]
struct Consultation {
    ticket: u32,
    /// The visitor's line.
    question: u32,
    /// What to show if the server is slow or gone.
    without_server: WithoutServer,
}

#[derive(Debug, Clone, PartialEq)]
enum WithoutServer {
    /// The waiting question gets the browser's own reply.
    BrowsersReply(Reply),
    /// The visitor said the browser's answer (this article) did not help: the server's
    /// other articles are offered if it has any, else nothing more than the bot's sorry.
    Rejected(String),
}

impl Thread {
    pub fn lines(&self) -> &[ChatLine] {
        &self.lines
    }

    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// Adds what the visitor typed, trimmed; blank text adds nothing and returns `None`.
    /// Text over [`MAX_MESSAGE_CHARS`] is cut there rather than lost entirely.
    pub fn add_visitor_message(&mut self, text: &str) -> Option<&ChatLine> {
        let text = text.trim();
        if text.is_empty() {
            return None;
        }
        let text: String = text.chars().take(MAX_MESSAGE_CHARS).collect();
        Some(self.push(Entry::Visitor { text }))
    }

    /// The visitor asks something: their line, then the bot's reply, or a place in the queue
    /// of questions waiting for the articles when `assistant` is `None`. Returns whether
    /// anything was added.
    pub fn ask(&mut self, text: &str, assistant: Option<&Assistant>) -> bool {
        let Some(line) = self.add_visitor_message(text) else {
            return false;
        };
        let id = line.id;
        self.unanswered.push(id);
        // The visitor moved on: other articles for an answer that did not help would now
        // come after the new question, out of place.
        self.consulting
            .take_if(|c| matches!(c.without_server, WithoutServer::Rejected(_)));
        if let Some(assistant) = assistant {
            self.answer_waiting(assistant);
        }
        true
    }

    /// Answers the questions that waited (for the articles, or behind a question the server
    /// is being asked about), in order, until one needs the server.
    pub fn answer_waiting(&mut self, assistant: &Assistant) {
        while self.consulting.is_none() && !self.unanswered.is_empty() {
            let id = self.unanswered[0];
            let Some(Entry::Visitor { text }) = self.entry(id).cloned() else {
                self.unanswered.remove(0);
                continue;
            };
            let reply = assistant.ask(&text, SUGGESTIONS);
            if self.server_answers && !reply.needs_no_server() {
                self.consult(id, WithoutServer::BrowsersReply(reply));
                return;
            }
            self.unanswered.remove(0);
            self.reply(id, &text, reply, assistant);
        }
    }

    fn consult(&mut self, question: u32, without_server: WithoutServer) {
        self.tickets += 1;
        self.asked_server.push(question);
        self.consulting = Some(Consultation {
            ticket: self.tickets,
            question,
            without_server,
        });
    }

    /// What to ask the server, while a consultation waits for it.
    pub fn server_question(&self) -> Option<ServerQuestion> {
        let consulting = self.consulting.as_ref()?;
        let Entry::Visitor { text } = self.entry(consulting.question)? else {
            return None;
        };
        Some(ServerQuestion {
            ticket: consulting.ticket,
            text: text.clone(),
            rejected: match &consulting.without_server {
                WithoutServer::BrowsersReply(_) => None,
                WithoutServer::Rejected(article) => Some(article.clone()),
            },
        })
    }

    /// The server's reply for `ticket` arrived, or did not in time (`None`). For a waiting
    /// question it is shown, or the browser's own when there is none or it names articles
    /// this base lacks; after an answer that did not help, the server's other articles are
    /// offered. Then the questions behind it are answered. A reply for a
    /// consultation that is over is ignored.
    pub fn server_replied(&mut self, ticket: u32, server: Option<Reply>, assistant: &Assistant) {
        let Some(settled) = self.consulting.take_if(|c| c.ticket == ticket) else {
            return;
        };
        let known = |r: &Reply| r.hits.iter().all(|h| assistant.article(&h.id).is_some());
        let server = server.filter(known);
        match settled.without_server {
            WithoutServer::BrowsersReply(browser) => {
                let asked = settled.question;
                self.unanswered.retain(|&waiting| waiting != asked);
                if let Some(Entry::Visitor { text }) = self.entry(asked).cloned() {
                    self.reply(asked, &text, server.unwrap_or(browser), assistant);
                }
            }
            WithoutServer::Rejected(article) => {
                let others = server
                    .filter(|r| matches!(r.outcome, Outcome::Answer | Outcome::Suggest))
                    .and_then(|r| suggestions(&r, Some(&article), assistant));
                if let Some(others) = others {
                    let line = self.push(others).id;
                    self.replied_to.push((line, settled.question));
                }
            }
        }
        self.answer_waiting(assistant);
    }

    /// The articles will not come: waiting questions get one line saying so.
    pub fn articles_unavailable(&mut self) {
        if !std::mem::take(&mut self.unanswered).is_empty() {
            self.push(Entry::Unavailable);
        }
    }

    /// Whether the bot owes a reply (the typing dots show).
    pub fn is_waiting(&self) -> bool {
        !self.unanswered.is_empty() || self.consulting.is_some()
    }

    fn reply(&mut self, asked: u32, question: &str, reply: Reply, assistant: &Assistant) {
        let entry = match reply.outcome {
            Outcome::Answer => reply
                .hits
                .first()
                .and_then(|hit| answer_entry(assistant, &hit.id, hit.score)),
            Outcome::Suggest => suggestions(&reply, None, assistant),
            Outcome::Handoff => Some(self.person_entry()),
            Outcome::Unsure => None,
        };
        let handed_off = matches!(
            entry,
            Some(Entry::PersonRequested | Entry::PreChatAsk { .. })
        );
        let line = self.push(entry.unwrap_or(Entry::Unsure)).id;
        self.replied_to.push((line, asked));
        if !handed_off && self.sounds_frustrated(question) {
            self.push(Entry::Frustrated);
        }
    }

    fn sounds_frustrated(&self, question: &str) -> bool {
        let mut earlier: Vec<String> = self
            .lines
            .iter()
            .filter_map(|l| match &l.entry {
                Entry::Visitor { text } => Some(text.clone()),
                _ => None,
            })
            .collect();
        // The question itself is the newest visitor line.
        if let Some(at) = earlier.iter().rposition(|t| t == question) {
            earlier.remove(at);
        }
        ito_assistant::intent::frustration(question, &earlier).any()
    }

    /// Why the visitor is being handed to a person: what the bot last offered a person for
    /// before they asked (frustration, an answer that did not help, not being sure), else
    /// simply that they asked.
    pub fn handoff_reason(&self) -> HandoffReason {
        let asked_at = self
            .lines
            .iter()
            .rposition(|l| l.entry == Entry::PersonRequested)
            .unwrap_or(self.lines.len());
        self.lines[..asked_at]
            .iter()
            .rev()
            .take_while(|l| !matches!(l.entry, Entry::Resolved | Entry::Ended | Entry::Restarted))
            .find_map(|l| match l.entry {
                Entry::Frustrated => Some(HandoffReason::Frustrated),
                Entry::Sorry => Some(HandoffReason::NotHelpful),
                Entry::Unsure => Some(HandoffReason::Unsure),
                _ => None,
            })
            .unwrap_or(HandoffReason::Asked)
    }

    /// The visitor picks one of a suggestion's articles: it is marked chosen and answered.
    /// Picking again, or an article the suggestion did not offer, does nothing.
    pub fn choose(&mut self, line: u32, article: &str, assistant: &Assistant) -> bool {
        let Some(changed) = self.line_mut(line) else {
            return false;
        };
        let Entry::Suggestions { choices, chosen } = &mut changed.entry else {
            return false;
        };
        if chosen.is_some() || !choices.iter().any(|c| c.id == article) {
            return false;
        }
        *chosen = Some(article.to_owned());
        changed.revision += 1;
        let asked = self.question_of(line);
        match answer_entry(assistant, article, 1.0) {
            Some(entry) => {
                let chosen = self.push(entry).id;
                if let Some(asked) = asked {
                    self.replied_to.push((chosen, asked));
                }
                true
            }
            None => false,
        }
    }

    /// Opens an article directly (the host page's `Ito('article', id)`). Unknown ids add
    /// nothing and return `false`.
    pub fn open_article(&mut self, article: &str, assistant: &Assistant) -> bool {
        match answer_entry(assistant, article, 1.0) {
            Some(entry) => {
                self.push(entry);
                true
            }
            None => false,
        }
    }

    /// The visitor's verdict on an answer, once; the bot acknowledges it. An answer the
    /// browser chose alone that did not help sends its question to the server, whose other
    /// articles follow the bot's sorry.
    pub fn give_feedback(&mut self, line: u32, verdict: Feedback) -> bool {
        let Some(changed) = self.line_mut(line) else {
            return false;
        };
        let Entry::Answer {
            feedback, article, ..
        } = &mut changed.entry
        else {
            return false;
        };
        if feedback.is_some() {
            return false;
        }
        *feedback = Some(verdict);
        changed.revision += 1;
        let rejected = article.id.clone();
        let question = self
            .lines
            .iter()
            .rev()
            .find_map(|l| (l.id < line && l.entry.is_visitor()).then_some(l.id));
        self.push(match verdict {
            Feedback::Helpful => Entry::Glad,
            Feedback::NotHelpful => Entry::Sorry,
        });
        if let Some(question) = question.filter(|question| {
            verdict == Feedback::NotHelpful
                && self.server_answers
                && self.consulting.is_none()
                && !self.asked_server.contains(question)
        }) {
            self.consult(question, WithoutServer::Rejected(rejected));
        }
        if verdict == Feedback::Helpful {
            self.ask_survey();
        }
        true
    }

    /// Asks the survey, once per conversation (the server takes one answer).
    fn ask_survey(&mut self) {
        if !self
            .lines
            .iter()
            .any(|l| matches!(l.entry, Entry::Survey { .. }))
        {
            self.push(Entry::Survey {
                state: SurveyState::Asked,
            });
        }
    }

    /// The visitor answered (or skipped) the survey on `line`.
    pub fn survey_done(&mut self, line: u32, answered: bool) -> bool {
        let Some(survey) = self.line_mut(line) else {
            return false;
        };
        if survey.entry
            != (Entry::Survey {
                state: SurveyState::Asked,
            })
        {
            return false;
        }
        let state = if answered {
            SurveyState::Answered
        } else {
            SurveyState::Skipped
        };
        survey.entry = Entry::Survey { state };
        survey.revision += 1;
        true
    }

    /// The visitor asks for a person with the button; asking twice in a row adds nothing.
    pub fn request_person(&mut self) -> bool {
        let asked =
            |l: &ChatLine| matches!(l.entry, Entry::PersonRequested | Entry::PreChatAsk { .. });
        if self.lines.last().is_some_and(asked) {
            return false;
        }
        let entry = self.person_entry();
        self.push(entry);
        true
    }

    fn person_entry(&self) -> Entry {
        match self.ask_first.first() {
            Some(&field) => Entry::PreChatAsk {
                field,
                again: false,
            },
            None => Entry::PersonRequested,
        }
    }

    /// What the bot just asked before the handoff, if the last line is such a question: the
    /// visitor's next words answer it.
    pub fn pre_chat_question(&self) -> Option<PreChatField> {
        match self.lines.last()?.entry {
            Entry::PreChatAsk { field, .. } => Some(field),
            _ => None,
        }
    }

    /// The visitor answers the pending pre-chat question: their line, then the next question
    /// or the handoff. An invalid answer gets the question again. Returns the valid answer.
    pub fn answer_pre_chat(&mut self, text: &str) -> Option<(PreChatField, String)> {
        let field = self.pre_chat_question()?;
        let answer = self
            .add_visitor_message(text)
            .map(|_| text.trim().to_owned());
        let valid = answer.filter(|a| match field {
            PreChatField::Name => !a.is_empty(),
            PreChatField::Email => plausible_email(a),
        });
        if valid.is_none() {
            self.push(Entry::PreChatAsk { field, again: true });
            return None;
        }
        self.ask_first.retain(|f| *f != field);
        let next = self.person_entry();
        self.push(next);
        valid.map(|v| (field, v))
    }

    /// Whether a person has been asked for and the conversation is not resolved yet: the
    /// visitor's messages then go to the person, not the bot.
    pub fn with_person(&self) -> bool {
        self.lines
            .iter()
            .rev()
            .find_map(|l| match l.entry {
                // A person who joins after the end reopened the conversation.
                Entry::PersonRequested | Entry::AgentJoined { .. } => Some(true),
                Entry::Resolved | Entry::Ended | Entry::Restarted => Some(false),
                _ => None,
            })
            .unwrap_or(false)
    }

    /// The server started a new conversation: a divider, and a person must be asked again
    /// unless a request is on its way (`keep_person`).
    pub fn restart(&mut self, keep_person: bool) {
        if self
            .lines
            .last()
            .is_some_and(|l| l.entry == Entry::Restarted)
        {
            return;
        }
        self.push(Entry::Restarted);
        if keep_person {
            self.push(Entry::PersonRequested);
        }
    }

    /// The server took the visitor's address (and queued the transcript, if that was asked).
    pub fn email_refused(&mut self) {
        self.push(Entry::EmailRefused);
    }

    pub fn email_kept(&mut self, transcript: bool) {
        self.push(if transcript {
            Entry::TranscriptSent
        } else {
            Entry::EmailKept
        });
    }

    /// Shows the queue place: the last place line is updated rather than a new one added.
    pub fn set_queue(&mut self, position: u32, wait_secs: Option<u32>, nobody_online: bool) {
        let entry = Entry::Queue {
            position,
            wait_secs,
            nobody_online,
        };
        if let Some(line) = self.lines.last_mut()
            && let Entry::Queue { .. } = line.entry
        {
            if line.entry != entry {
                line.entry = entry;
                line.revision += 1;
            }
            return;
        }
        self.push(entry);
    }

    /// Whether a person is with the visitor now: one joined since the conversation last
    /// closed or started again.
    fn with_agent(&self) -> bool {
        self.lines
            .iter()
            .rev()
            .find_map(|l| match l.entry {
                Entry::AgentJoined { .. } => Some(true),
                Entry::Resolved | Entry::Ended | Entry::Restarted => Some(false),
                _ => None,
            })
            .unwrap_or(false)
    }

    /// The name of the person who joined last, for "… is typing".
    pub fn agent_name(&self) -> Option<&str> {
        self.lines.iter().rev().find_map(|l| match &l.entry {
            Entry::AgentJoined { name, .. } => Some(name.as_str()),
            _ => None,
        })
    }

    /// Shows what the live chat brought: a person's messages, their arrival, the resolution.
    /// The visitor's own messages are already shown, and the rest is for agents.
    pub fn apply(&mut self, event: &EventKind) -> bool {
        let entry = match event {
            EventKind::Message {
                author: Author::Agent { name, .. },
                text,
                ..
            } => Entry::Agent {
                name: name.clone(),
                text: text.clone(),
            },
            EventKind::AgentJoined { name, .. } => Entry::AgentJoined {
                name: name.clone(),
                taking_over: self.with_agent(),
            },
            EventKind::Resolved => Entry::Resolved,
            EventKind::Ended => Entry::Ended,
            _ => return false,
        };
        let over = matches!(entry, Entry::Resolved | Entry::Ended);
        self.push(entry);
        if over {
            self.ask_survey();
        }
        true
    }

    /// Shows a file sent in the conversation, which `token` (the conversation's) may fetch.
    pub fn add_file(&mut self, author: &Author, file: &Attachment, token: &str) {
        self.push(Entry::File {
            by: match author {
                Author::Agent { name, .. } => Some(name.clone()),
                _ => None,
            },
            name: file.name.clone(),
            href: format!("/attachments/{}?token={token}", file.id),
            image: file.media_type.starts_with("image/"),
        });
    }

    /// The conversation with the bot as the person taking over will read it.
    pub fn transcript(&self) -> Vec<TranscriptLine> {
        let bot = |article: Option<&str>, confidence: Option<f32>| Author::Bot {
            article: article.map(str::to_owned),
            confidence,
        };
        self.lines
            .iter()
            .filter_map(|line| {
                let (author, text, helpful) = match &line.entry {
                    Entry::Visitor { text } => (Author::Visitor, text.clone(), None),
                    Entry::Answer {
                        article,
                        score,
                        feedback,
                        ..
                    } => (
                        bot(Some(&article.id), Some(*score)),
                        article.title.clone(),
                        feedback.map(|f| f == Feedback::Helpful),
                    ),
                    Entry::Suggestions { choices, .. } => {
                        let titles: Vec<&str> = choices.iter().map(|c| c.title.as_str()).collect();
                        (
                            bot(None, None),
                            format!("Suggested: {}", titles.join(" / ")),
                            None,
                        )
                    }
                    Entry::Unsure => (bot(None, None), "(not sure)".to_owned(), None),
                    _ => return None,
                };
                Some(TranscriptLine {
                    author,
                    text,
                    helpful,
                })
            })
            .collect()
    }

    /// The bot's replies on lines after `after` (all with `None`), each with the question it
    /// replied to: what the widget reports for the site's content gaps and article figures.
    /// An article the host page opened answers no question and is not reported.
    pub fn replies_after(&self, after: Option<u32>) -> Vec<BotReply> {
        self.lines
            .iter()
            .filter(|line| after.is_none_or(|a| line.id > a))
            .filter_map(|line| {
                let (article, unsure) = match &line.entry {
                    Entry::Answer { article, .. } => (Some(article.id.clone()), false),
                    Entry::Suggestions { .. } => (None, false),
                    Entry::Unsure => (None, true),
                    _ => return None,
                };
                let asked = self.question_of(line.id)?;
                let Some(Entry::Visitor { text }) = self.entry(asked) else {
                    return None;
                };
                Some(BotReply {
                    line: line.id,
                    question: text.clone(),
                    article,
                    unsure,
                })
            })
            .collect()
    }

    /// The visitor's line the bot's reply on `line` answered, if it answered one.
    fn question_of(&self, line: u32) -> Option<u32> {
        self.replied_to
            .iter()
            .find(|(reply, _)| *reply == line)
            .map(|&(_, asked)| asked)
    }

    /// The newest line's id.
    pub fn last_line(&self) -> Option<u32> {
        self.lines.last().map(|l| l.id)
    }

    /// How many times the bot could not help (unsure, or an answer judged unhelpful): the
    /// widget offers a person more prominently as this grows.
    pub fn misses(&self) -> usize {
        self.lines
            .iter()
            .filter(|l| {
                matches!(
                    l.entry,
                    Entry::Unsure
                        | Entry::Answer {
                            feedback: Some(Feedback::NotHelpful),
                            ..
                        }
                )
            })
            .count()
    }

    /// The thread as JSON, for storage.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a thread always serializes")
    }

    /// A stored thread; anything unreadable (another version, a damaged value) is `None`.
    pub fn from_json(json: &str) -> Option<Thread> {
        crate::thread_json::read(json)
    }

    /// A thread from its stored parts.
    pub(crate) fn restored(lines: Vec<ChatLine>, unanswered: Vec<u32>) -> Thread {
        Thread {
            lines,
            unanswered,
            ..Thread::default()
        }
    }

    fn entry(&self, id: u32) -> Option<&Entry> {
        self.lines.iter().find(|l| l.id == id).map(|l| &l.entry)
    }

    fn line_mut(&mut self, id: u32) -> Option<&mut ChatLine> {
        self.lines.iter_mut().find(|l| l.id == id)
    }

    fn push(&mut self, entry: Entry) -> &ChatLine {
        let id = self.lines.last().map_or(0, |l| l.id + 1);
        self.lines.push(ChatLine {
            id,
            revision: 0,
            entry,
        });
        self.lines.last().expect("just pushed")
    }
}

/// The articles of `reply` worth offering (all but `except`), if any.
fn suggestions(reply: &Reply, except: Option<&str>, assistant: &Assistant) -> Option<Entry> {
    let hits = || {
        reply
            .hits
            .iter()
            .filter(|hit| Some(hit.id.as_str()) != except)
    };
    let best = hits().next().map_or(0.0, |h| h.score);
    let choices: Vec<ArticleRef> = hits()
        .filter(|hit| hit.score >= best * SUGGESTION_SHARE)
        .take(SUGGESTIONS)
        .filter_map(|hit| assistant.article(&hit.id))
        .map(|a| ArticleRef {
            id: a.id.clone(),
            title: a.title.clone(),
        })
        .collect();
    (!choices.is_empty()).then_some(Entry::Suggestions {
        choices,
        chosen: None,
    })
}

fn answer_entry(assistant: &Assistant, id: &str, score: f32) -> Option<Entry> {
    let article = assistant.article(id)?;
    Some(Entry::Answer {
        article: ArticleRef {
            id: article.id.clone(),
            title: article.title.clone(),
        },
        answer: article.answer.clone(),
        score,
        feedback: None,
    })
}
