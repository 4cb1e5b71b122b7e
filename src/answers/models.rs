//! Which sentence encoder answers which language. English has all-MiniLM-L6-v2, small and
//! trained on English question pairs; Japanese has multilingual-e5-small, twice as deep, which
//! was trained to match questions with the passages that answer them, so its bases' answers are
//! encoded too (in a real Japanese FAQ the answer carries most of what citizens ask about).
//! Japanese is also matched by how it sounds, with IPADIC's readings (see `ranking`).

use std::path::{Path, PathBuf};

use ito_assistant::readings::{Readings, ReadingsError};
use ito_encoder::bert::{Encoder, LoadError};
use ito_protocol::Locale;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Model {
    MiniLm,
    MultilingualE5,
}

impl Model {
    pub fn for_locale(locale: Locale) -> Model {
        match locale {
            Locale::En => Model::MiniLm,
            Locale::Ja => Model::MultilingualE5,
        }
    }

    /// The file whose presence says the model is installed, under the models folder.
    pub fn weights(self, models: &Path) -> PathBuf {
        match self {
            Model::MiniLm => models.join("all-minilm-l6-v2/model.safetensors"),
            Model::MultilingualE5 => models.join("multilingual-e5-small/e5-small-q4.bin"),
        }
    }

    pub fn load(self, models: &Path) -> Result<Encoder, LoadError> {
        let weights = self.weights(models);
        match self {
            Model::MiniLm => Encoder::load(weights.parent().expect("a file in a folder")),
            Model::MultilingualE5 => Encoder::load_e5(&weights),
        }
    }

    /// Whether articles' answers get vectors of their own beside their titles and questions.
    pub fn encodes_answers(self) -> bool {
        self == Model::MultilingualE5
    }

    pub fn name(self) -> &'static str {
        match self {
            Model::MiniLm => "all-MiniLM-L6-v2",
            Model::MultilingualE5 => "multilingual-e5-small",
        }
    }
}

/// Whether a language's bases are also matched by sound: Japanese, where one word may be typed
/// in kanji or in kana.
pub fn matches_sounds(locale: Locale) -> bool {
    locale == Locale::Ja
}

/// IPADIC's system dictionary, as `cargo xtask setup` unpacks it under the models folder.
pub fn readings_file(models: &Path) -> PathBuf {
    models.join("ipadic/sys.dic")
}

#[derive(Debug, thiserror::Error)]
pub enum ReadingsFileError {
    #[error("cannot read it: {0}")]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Format(#[from] ReadingsError),
}

pub fn load_readings(models: &Path) -> Result<Readings, ReadingsFileError> {
    Ok(Readings::from_mecab(&std::fs::read(readings_file(
        models,
    ))?)?)
}
