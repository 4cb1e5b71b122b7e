//! Key-value storage on the Ito origin that never fails: `localStorage` where the browser
//! allows it, else memory for this page's life. Third-party iframes often get no storage at
//! all (Safari, Firefox strict mode, blocked cookies), and then the chat must still work.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;

pub enum Store {
    Browser(web_sys::Storage),
    Memory(RefCell<HashMap<String, String>>),
}

impl Store {
    /// `localStorage` if it can be opened and written, else memory.
    pub fn local() -> Store {
        Store::open(|w| w.local_storage())
    }

    /// `sessionStorage` (this tab's visit) if usable, else memory.
    pub fn session() -> Store {
        Store::open(|w| w.session_storage())
    }

    pub fn memory() -> Store {
        Store::Memory(RefCell::default())
    }

    fn open(
        get: impl Fn(&web_sys::Window) -> Result<Option<web_sys::Storage>, wasm_bindgen::JsValue>,
    ) -> Store {
        let usable = web_sys::window()
            .and_then(|w| get(&w).ok().flatten())
            // Some browsers hand out a storage object that throws on the first write.
            .filter(|s| s.set_item("ito.probe", "1").is_ok() && s.remove_item("ito.probe").is_ok());
        match usable {
            Some(storage) => Store::Browser(storage),
            None => Store::memory(),
        }
    }

    pub fn is_persistent(&self) -> bool {
        matches!(self, Store::Browser(_))
    }

    pub fn get(&self, key: &str) -> Option<String> {
        match self {
            Store::Browser(s) => s.get_item(key).ok().flatten(),
            Store::Memory(m) => m.borrow().get(key).cloned(),
        }
    }

    /// Writes, falling back to memory if the browser refuses (quota, storage revoked).
    pub fn set(&self, key: &str, value: &str) {
        match self {
            Store::Browser(s) => {
                if s.set_item(key, value).is_err() {
                    leptos::logging::warn!("Ito: the browser refused to store the conversation");
                }
            }
            Store::Memory(m) => {
                m.borrow_mut().insert(key.to_owned(), value.to_owned());
            }
        }
    }

    pub fn remove(&self, key: &str) {
        match self {
            Store::Browser(s) => {
                let _ = s.remove_item(key);
            }
            Store::Memory(m) => {
                m.borrow_mut().remove(key);
            }
        }
    }
}

/// The two places the widget keeps things: for good (from the first interaction on) and for
/// this visit only (before it).
pub struct Stores {
    pub persistent: Store,
    pub visit: Store,
    /// Set by `Ito('reset')`: the page is about to reload, and whatever still runs until then
    /// (a live token arriving, an effect) must not store the forgotten visitor again.
    sealed: Cell<bool>,
}

impl Stores {
    pub fn browser() -> Stores {
        Stores {
            persistent: Store::local(),
            visit: Store::session(),
            sealed: Cell::new(false),
        }
    }

    /// No write after this one: the stores are left as they are until the page goes.
    pub fn seal(&self) {
        self.sealed.set(true);
    }

    pub fn is_sealed(&self) -> bool {
        self.sealed.get()
    }

    pub fn memory() -> Stores {
        Stores {
            persistent: Store::memory(),
            visit: Store::memory(),
            sealed: Cell::new(false),
        }
    }
}
