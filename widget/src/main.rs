use ito_protocol::embed::WidgetToHost;
use ito_widget::App;
use ito_widget::embed::EmbedContext;
use leptos::prelude::*;

fn main() {
    console_error_panic_hook::set_once();
    let context = EmbedContext::from_window();
    let host = context.host_link();
    leptos::mount::mount_to_body(move || view! { <App context=context.clone() /> });
    host.post(WidgetToHost::Ready);
}
