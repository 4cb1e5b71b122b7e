//! The in-browser assistant: answers visitors from the site's FAQ, in the widget (wasm) and in
//! the server's command line (native).
//!
//! It knows nothing of Leptos, axum or sqlx, and does no I/O: callers hand it text.
//!
//! This crate is empty on purpose until the assistant is built (issue 3: knowledge base,
//! retrieval, confidence, handoff intent); it exists now so the workspace has its final shape.
