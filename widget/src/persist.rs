//! Keeping the conversation and the visitor context across reloads, by the privacy rule:
//! before the visitor first writes or clicks in the chat, only this visit's context (the page
//! trail) is kept, in session storage; from the first interaction on, thread and context
//! persist in local storage on the Ito origin.

use std::rc::Rc;

use leptos::prelude::*;

use crate::context::VisitorContext;
use crate::live::Live;
use crate::storage::Stores;
use crate::thread::Thread;

/// Where one site's thread and context are stored.
pub struct Persisted {
    stores: Rc<Stores>,
    thread_key: String,
    context_key: String,
    live_key: String,
}

impl Persisted {
    pub fn new(stores: Rc<Stores>, site: &str) -> Persisted {
        Persisted {
            stores,
            thread_key: format!("ito.{site}.thread"),
            context_key: format!("ito.{site}.context"),
            live_key: format!("ito.{site}.live"),
        }
    }

    /// Forgets everything stored for the site (`Ito('reset')`), now and for the rest of this
    /// page's life.
    pub fn forget(&self) -> impl Fn() + 'static {
        let stores = self.stores.clone();
        let keys = [
            self.thread_key.clone(),
            self.context_key.clone(),
            self.live_key.clone(),
        ];
        move || {
            stores.seal();
            for key in &keys {
                stores.persistent.remove(key);
                stores.visit.remove(key);
            }
        }
    }

    /// What an earlier page of this visit, or an earlier visit, left; empty when nothing or
    /// something unreadable was stored.
    pub fn restore(&self) -> (Thread, VisitorContext) {
        let thread = self
            .stores
            .persistent
            .get(&self.thread_key)
            .and_then(|json| Thread::from_json(&json))
            .unwrap_or_default();
        let context = self
            .stores
            .persistent
            .get(&self.context_key)
            .or_else(|| self.stores.visit.get(&self.context_key))
            .and_then(|json| VisitorContext::from_json(&json))
            .unwrap_or_default();
        (thread, context)
    }

    /// The live chat's token, last event and unsent messages, if a person was ever asked for.
    pub fn restore_live(&self) -> Live {
        self.stores
            .persistent
            .get(&self.live_key)
            .and_then(|json| Live::from_json(&json))
            .unwrap_or_default()
    }

    /// Keeps the live chat's state whenever it changes (it only exists after an interaction).
    pub fn keep_live(&self, live: RwSignal<Live>) {
        let (stores, key) = (self.stores.clone(), self.live_key.clone());
        Effect::new(move |_| {
            live.with(|l| {
                if *l != Live::default() && !stores.is_sealed() {
                    let json = serde_json::to_string(l).expect("live state serializes");
                    stores.persistent.set(&key, &json);
                }
            })
        });
    }

    /// Writes both whenever either changes, to the store the privacy rule allows.
    pub fn keep(self, thread: RwSignal<Thread>, context: RwSignal<VisitorContext>) {
        Effect::new(move |_| {
            if self.stores.is_sealed() {
                return;
            }
            let interacted = thread.with(|t| !t.is_empty());
            let context_json =
                context.with(|c| serde_json::to_string(c).expect("the context always serializes"));
            if interacted {
                thread.with(|t| self.stores.persistent.set(&self.thread_key, &t.to_json()));
                self.stores.persistent.set(&self.context_key, &context_json);
                self.stores.visit.remove(&self.context_key);
            } else {
                self.stores.visit.set(&self.context_key, &context_json);
            }
        });
    }
}
