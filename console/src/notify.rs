//! Telling the agent about a new handoff when they are looking elsewhere: a desktop
//! notification (once they allowed it) and a short two-note chime made with Web Audio, so the
//! console ships no sound file.

use wasm_bindgen::JsCast;
use web_sys::{AudioContext, Notification, NotificationOptions, NotificationPermission};

/// Asks for permission to show notifications; browsers only allow asking after a click.
pub fn ask_permission() {
    if Notification::permission() == NotificationPermission::Default {
        let _ = Notification::request_permission();
    }
}

/// A desktop notification (when allowed) and a chime.
pub fn alert(title: &str, body: &str) {
    if Notification::permission() == NotificationPermission::Granted {
        let options = NotificationOptions::new();
        options.set_body(body);
        options.set_tag("ito-handoff");
        let _ = Notification::new_with_options(title, &options);
    }
    chime();
}

fn chime() {
    let Ok(audio) = AudioContext::new() else {
        return;
    };
    let start = audio.current_time();
    for (offset, frequency) in [(0.0, 880.0), (0.15, 1320.0)] {
        let (Ok(tone), Ok(volume)) = (audio.create_oscillator(), audio.create_gain()) else {
            return;
        };
        tone.frequency().set_value(frequency);
        let gain = volume.gain();
        let at = start + offset;
        let _ = gain.set_value_at_time(0.0, at);
        let _ = gain.linear_ramp_to_value_at_time(0.2, at + 0.02);
        let _ = gain.linear_ramp_to_value_at_time(0.0, at + 0.25);
        let _ = tone.connect_with_audio_node(&volume);
        let _ = volume.connect_with_audio_node(&audio.destination());
        let _ = tone.start_with_when(at);
        let _ = tone.stop_with_when(at + 0.3);
    }
    // Free the audio device once the chime is over.
    let close = wasm_bindgen::closure::Closure::once_into_js(move || {
        let _ = audio.close();
    });
    let _ = leptos::prelude::window()
        .set_timeout_with_callback_and_timeout_and_arguments_0(close.unchecked_ref(), 1000);
}
