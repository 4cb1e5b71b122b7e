use leptos::prelude::*;

use crate::api::{self, ApiError, Me};
use crate::i18n::t;

/// The sign-in form: email and password, posted as same-origin JSON.
#[component]
pub fn SignIn(
    /// Called with the agent once the server accepted them.
    on_signed_in: Callback<Me>,
) -> impl IntoView {
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let problem = RwSignal::new(None::<&'static str>);
    let busy = RwSignal::new(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        busy.set(true);
        problem.set(None);
        leptos::task::spawn_local(async move {
            let result = api::sign_in(&email.get_untracked(), &password.get_untracked()).await;
            busy.set(false);
            match result {
                Ok(me) => on_signed_in.run(me),
                Err(ApiError::Unauthorized) => problem.set(Some(t("sign_in.wrong"))),
                Err(ApiError::Failed(_) | ApiError::Refused(_)) => {
                    problem.set(Some(t("sign_in.failed")))
                }
            }
        });
    };
    view! {
        <main class="sign-in">
            <form class="sign-in__form" on:submit=submit>
                <h1 class="sign-in__title">{t("sign_in.title")}</h1>
                <label class="sign-in__field">
                    <span>{t("sign_in.email")}</span>
                    <input
                        type="email"
                        name="email"
                        autocomplete="username"
                        required
                        autofocus
                        prop:value=move || email.get()
                        on:input=move |ev| email.set(event_target_value(&ev))
                    />
                </label>
                <label class="sign-in__field">
                    <span>{t("sign_in.password")}</span>
                    <input
                        type="password"
                        name="password"
                        autocomplete="current-password"
                        required
                        prop:value=move || password.get()
                        on:input=move |ev| password.set(event_target_value(&ev))
                    />
                </label>
                <p class="sign-in__problem" role="alert">{move || problem.get()}</p>
                <button type="submit" class="sign-in__submit" disabled=move || busy.get()>
                    {t("sign_in.submit")}
                </button>
            </form>
        </main>
    }
}
