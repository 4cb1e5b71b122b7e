//! What a file sent in a conversation may be: its type is read from its first bytes and must
//! agree with the type the sender claims and with its name's extension, so a PNG named
//! `.pdf`, or a script claimed to be an image, is refused in words. Plain functions, tested
//! alone.

/// A kind of file Ito knows by its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileType {
    Png,
    Jpeg,
    Gif,
    Webp,
    Pdf,
}

impl FileType {
    pub const ALL: [FileType; 5] = [
        FileType::Png,
        FileType::Jpeg,
        FileType::Gif,
        FileType::Webp,
        FileType::Pdf,
    ];

    /// The media type it is served with.
    pub fn media_type(self) -> &'static str {
        match self {
            FileType::Png => "image/png",
            FileType::Jpeg => "image/jpeg",
            FileType::Gif => "image/gif",
            FileType::Webp => "image/webp",
            FileType::Pdf => "application/pdf",
        }
    }

    /// The extensions a name of this type may end with.
    fn extensions(self) -> &'static [&'static str] {
        match self {
            FileType::Png => &["png"],
            FileType::Jpeg => &["jpg", "jpeg"],
            FileType::Gif => &["gif"],
            FileType::Webp => &["webp"],
            FileType::Pdf => &["pdf"],
        }
    }

    /// Images are shown in the thread; other files are offered for download.
    pub fn is_image(self) -> bool {
        !matches!(self, FileType::Pdf)
    }

    pub fn from_media_type(media_type: &str) -> Option<FileType> {
        let bare = media_type.split(';').next()?.trim().to_ascii_lowercase();
        FileType::ALL.into_iter().find(|t| t.media_type() == bare)
    }

    /// The type `bytes` are, by their signature.
    pub fn sniff(bytes: &[u8]) -> Option<FileType> {
        if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(FileType::Png)
        } else if bytes.starts_with(&[0xff, 0xd8, 0xff]) {
            Some(FileType::Jpeg)
        } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
            Some(FileType::Gif)
        } else if bytes.len() >= 12 && bytes.starts_with(b"RIFF") && &bytes[8..12] == b"WEBP" {
            Some(FileType::Webp)
        } else if bytes.starts_with(b"%PDF-") {
            Some(FileType::Pdf)
        } else {
            None
        }
    }
}

/// `[server.attachments]`: where files sent in conversations are kept and which are taken.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttachmentsConfig {
    /// The folder files are kept in, one file per attachment named by its id. With several
    /// nodes, a folder they all share (a network file system): the database keeps only what
    /// each file is.
    #[serde(default = "default_folder")]
    pub folder: std::path::PathBuf,
    /// The largest file taken, in bytes (10 MiB by default).
    #[serde(default = "default_max_bytes")]
    pub max_bytes: u64,
    /// The media types taken: any of image/png, image/jpeg, image/gif, image/webp and
    /// application/pdf (all by default).
    #[serde(default = "all_types", deserialize_with = "media_types")]
    pub types: Vec<FileType>,
}

impl AttachmentsConfig {
    /// The types taken, as a file picker's `accept` (`image/png,application/pdf`); empty when
    /// `types = []` turns attachments off.
    pub fn accept(&self) -> String {
        let types: Vec<&str> = self.types.iter().map(|t| t.media_type()).collect();
        types.join(",")
    }
}

impl Default for AttachmentsConfig {
    fn default() -> Self {
        AttachmentsConfig {
            folder: default_folder(),
            max_bytes: default_max_bytes(),
            types: all_types(),
        }
    }
}

fn default_folder() -> std::path::PathBuf {
    "attachments".into()
}

fn default_max_bytes() -> u64 {
    10 * 1024 * 1024
}

fn all_types() -> Vec<FileType> {
    FileType::ALL.to_vec()
}

fn media_types<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<FileType>, D::Error> {
    let names: Vec<String> = serde::Deserialize::deserialize(d)?;
    names
        .iter()
        .map(|name| {
            FileType::from_media_type(name).ok_or_else(|| {
                serde::de::Error::custom(format!(
                    "attachments.types: {name:?} is not one of image/png, image/jpeg, image/gif, image/webp, application/pdf"
                ))
            })
        })
        .collect()
}

/// Why a file is refused, in words a sender can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FileRefused {
    #[error("the file is empty")]
    Empty,
    #[error("the file has {size} bytes; at most {max} are accepted")]
    TooLarge { size: u64, max: u64 },
    #[error("a file's name has 1 to 200 characters, without slashes or control characters")]
    BadName,
    #[error("{0:?} files are not accepted here; send one of: {1}")]
    TypeNotAllowed(String, String),
    #[error("the file's content is not what it claims to be: it says {claimed}, it is {found}")]
    Mismatch { claimed: String, found: String },
    #[error("the name {name:?} does not fit its type, {media_type}")]
    NameMismatch { name: String, media_type: String },
}

/// Checks a file before it is kept: a size within `max`, a plain name, a claimed type that
/// `allowed` lists, content of that very type, and a name whose extension fits it.
pub fn check(
    name: &str,
    claimed: &str,
    bytes: &[u8],
    max: u64,
    allowed: &[FileType],
) -> Result<FileType, FileRefused> {
    if bytes.is_empty() {
        return Err(FileRefused::Empty);
    }
    if bytes.len() as u64 > max {
        return Err(FileRefused::TooLarge {
            size: bytes.len() as u64,
            max,
        });
    }
    let chars = name.chars().count();
    if !(1..=200).contains(&chars)
        || name
            .chars()
            .any(|c| c.is_control() || c == '/' || c == '\\')
        || name.trim() != name
    {
        return Err(FileRefused::BadName);
    }
    let listed = || {
        allowed
            .iter()
            .map(|t| t.media_type())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let claimed_type = FileType::from_media_type(claimed)
        .filter(|t| allowed.contains(t))
        .ok_or_else(|| FileRefused::TypeNotAllowed(claimed.to_owned(), listed()))?;
    let found = FileType::sniff(bytes);
    if found != Some(claimed_type) {
        return Err(FileRefused::Mismatch {
            claimed: claimed_type.media_type().to_owned(),
            found: found
                .map_or("something else", |t| t.media_type())
                .to_owned(),
        });
    }
    let extension = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    if !claimed_type.extensions().contains(&extension.as_str()) {
        return Err(FileRefused::NameMismatch {
            name: name.to_owned(),
            media_type: claimed_type.media_type().to_owned(),
        });
    }
    Ok(claimed_type)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
    const PDF: &[u8] = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n";
    const MAX: u64 = 10 * 1024 * 1024;

    #[test]
    fn files_are_known_by_their_first_bytes() {
        assert_eq!(FileType::sniff(PNG), Some(FileType::Png));
        assert_eq!(FileType::sniff(PDF), Some(FileType::Pdf));
        assert_eq!(
            FileType::sniff(b"\xff\xd8\xff\xe0JFIF"),
            Some(FileType::Jpeg)
        );
        assert_eq!(FileType::sniff(b"GIF89a..."), Some(FileType::Gif));
        assert_eq!(
            FileType::sniff(b"RIFF\x10\0\0\0WEBPVP8 "),
            Some(FileType::Webp)
        );
        assert_eq!(FileType::sniff(b"RIFF\x10\0\0\0WAVEfmt "), None);
        assert_eq!(FileType::sniff(b"<svg onload=alert(1)>"), None);
    }

    #[test]
    fn a_file_must_be_what_it_claims_and_named_for_it() {
        let all = &FileType::ALL;
        assert_eq!(
            check("shot.PNG", "image/png", PNG, MAX, all),
            Ok(FileType::Png)
        );
        assert_eq!(
            check("bill.pdf", "application/pdf", PDF, MAX, all),
            Ok(FileType::Pdf)
        );
        // A PNG named .pdf, claimed either way.
        assert!(matches!(
            check("bill.pdf", "application/pdf", PNG, MAX, all),
            Err(FileRefused::Mismatch { .. })
        ));
        assert!(matches!(
            check("bill.pdf", "image/png", PNG, MAX, all),
            Err(FileRefused::NameMismatch { .. })
        ));
        let html = b"<html><script>alert(1)</script>";
        let err = check("x.png", "image/png", html, MAX, all).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the file's content is not what it claims to be: it says image/png, it is something else"
        );
        assert!(matches!(
            check("x.html", "text/html", html, MAX, all),
            Err(FileRefused::TypeNotAllowed(..))
        ));
        assert!(matches!(
            check("bill.pdf", "application/pdf", PDF, MAX, &[FileType::Png]),
            Err(FileRefused::TypeNotAllowed(..))
        ));
        for bad in ["", "../x.png", "a\\b.png", "a\nb.png", " x.png"] {
            assert_eq!(
                check(bad, "image/png", PNG, MAX, all),
                Err(FileRefused::BadName),
                "{bad:?}"
            );
        }
        assert_eq!(
            check("x.png", "image/png", b"", MAX, all),
            Err(FileRefused::Empty)
        );
    }

    #[test]
    fn ten_megabytes_are_accepted_and_one_byte_more_is_not() {
        let mut file = PNG.to_vec();
        file.resize(MAX as usize, 0);
        assert_eq!(
            check("a.png", "image/png", &file, MAX, &FileType::ALL),
            Ok(FileType::Png)
        );
        file.push(0);
        assert_eq!(
            check("a.png", "image/png", &file, MAX, &FileType::ALL),
            Err(FileRefused::TooLarge {
                size: MAX + 1,
                max: MAX
            })
        );
    }

    #[test]
    fn the_widget_is_offered_the_types_taken_and_none_when_none_are() {
        let read = |toml: &str| toml::from_str::<AttachmentsConfig>(toml).unwrap().accept();
        assert_eq!(
            read(""),
            "image/png,image/jpeg,image/gif,image/webp,application/pdf"
        );
        assert_eq!(
            read(r#"types = ["application/pdf", "IMAGE/PNG"]"#),
            "application/pdf,image/png"
        );
        assert_eq!(read("types = []"), "");
    }
}
