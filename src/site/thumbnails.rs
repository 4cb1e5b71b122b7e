//! Thumbnails of the images sent in conversations: what a thread shows, at most [`MAX_SIDE`]
//! pixels on a side, so a phone does not download a 10 MB photo to draw a bubble. One is made
//! when an image is taken, which also proves the image decodes (a file with a PNG's first bytes
//! and nothing after them is no image), and kept beside it.

use std::io::Cursor;

use image::{DynamicImage, ImageFormat, ImageReader, Limits};

use super::file_types::FileType;

/// The longest side of a thumbnail, in pixels.
pub const MAX_SIDE: u32 = 320;
/// Past these a picture is not decoded: a small file can claim an enormous one.
const MAX_DECODED_SIDE: u32 = 12_000;
const MAX_DECODED_BYTES: u64 = 320 << 20;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ThumbnailError {
    #[error("the file does not read as {0}")]
    Unreadable(&'static str),
    #[error("the image is larger than {MAX_DECODED_SIDE} pixels on a side")]
    TooManyPixels,
}

/// The thumbnail of an image of type `kind`: a JPEG, or a PNG where the image has
/// transparency (its first bytes say which); `None` for a type that is no image (a PDF). An
/// animated GIF's is its first frame.
pub fn make(bytes: &[u8], kind: FileType) -> Result<Option<Vec<u8>>, ThumbnailError> {
    let format = match kind {
        FileType::Png => ImageFormat::Png,
        FileType::Jpeg => ImageFormat::Jpeg,
        FileType::Gif => ImageFormat::Gif,
        FileType::Webp => ImageFormat::WebP,
        FileType::Pdf => return Ok(None),
    };
    let unreadable = || ThumbnailError::Unreadable(kind.media_type());
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_DECODED_SIDE);
    limits.max_image_height = Some(MAX_DECODED_SIDE);
    limits.max_alloc = Some(MAX_DECODED_BYTES);
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    reader.limits(limits);
    let image = reader.decode().map_err(|e| match e {
        image::ImageError::Limits(_) => ThumbnailError::TooManyPixels,
        _ => unreadable(),
    })?;
    let small = if image.width() > MAX_SIDE || image.height() > MAX_SIDE {
        image.thumbnail(MAX_SIDE, MAX_SIDE)
    } else {
        image
    };
    // JPEG for what is opaque (photos: a fraction of PNG's size); PNG keeps transparency.
    // A GIF always decodes with an alpha channel, so it is the pixels that say.
    let rgba = small.color().has_alpha().then(|| small.to_rgba8());
    let (small, format) = match rgba.filter(|i| i.pixels().any(|p| p[3] < 255)) {
        Some(rgba) => (DynamicImage::ImageRgba8(rgba), ImageFormat::Png),
        None => (DynamicImage::ImageRgb8(small.to_rgb8()), ImageFormat::Jpeg),
    };
    let mut bytes = Cursor::new(Vec::new());
    small
        .write_to(&mut bytes, format)
        .map_err(|_| unreadable())?;
    Ok(Some(bytes.into_inner()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{Rgb, RgbImage, Rgba, RgbaImage};

    fn encoded(image: DynamicImage, format: ImageFormat) -> Vec<u8> {
        let mut bytes = Cursor::new(Vec::new());
        image.write_to(&mut bytes, format).unwrap();
        bytes.into_inner()
    }

    fn size_of(thumbnail: &[u8]) -> (u32, u32) {
        let image = image::load_from_memory(thumbnail).unwrap();
        (image.width(), image.height())
    }

    #[test]
    fn a_large_photo_becomes_a_small_jpeg_of_the_same_shape() {
        let photo = RgbImage::from_fn(800, 450, |x, y| Rgb([(x % 256) as u8, (y % 256) as u8, 90]));
        for (format, kind) in [
            (ImageFormat::Png, FileType::Png),
            (ImageFormat::Jpeg, FileType::Jpeg),
            (ImageFormat::Gif, FileType::Gif),
            (ImageFormat::WebP, FileType::Webp),
        ] {
            let bytes = encoded(DynamicImage::ImageRgb8(photo.clone()), format);
            let thumbnail = make(&bytes, kind).unwrap().unwrap();
            assert_eq!(
                FileType::sniff(&thumbnail),
                Some(FileType::Jpeg),
                "{kind:?}"
            );
            assert_eq!(size_of(&thumbnail), (320, 180), "{kind:?}");
        }
    }

    #[test]
    fn transparency_is_kept_in_a_png_and_a_small_image_keeps_its_size() {
        let icon = RgbaImage::from_fn(200, 120, |x, _| Rgba([10, 20, 30, (x % 256) as u8]));
        let bytes = encoded(DynamicImage::ImageRgba8(icon), ImageFormat::Png);
        let thumbnail = make(&bytes, FileType::Png).unwrap().unwrap();
        assert_eq!(FileType::sniff(&thumbnail), Some(FileType::Png));
        assert_eq!(size_of(&thumbnail), (200, 120));
        let read = image::load_from_memory(&thumbnail).unwrap();
        assert!(read.color().has_alpha());
    }

    #[test]
    fn what_does_not_decode_or_claims_too_many_pixels_is_refused() {
        let mut truncated = encoded(
            DynamicImage::ImageRgb8(RgbImage::new(50, 50)),
            ImageFormat::Png,
        );
        truncated.truncate(40);
        assert_eq!(
            make(&truncated, FileType::Png),
            Err(ThumbnailError::Unreadable("image/png"))
        );
        // 12,001 pixels wide, in a file of a few hundred bytes: not decoded at all.
        let wide = encoded(
            DynamicImage::ImageRgb8(RgbImage::new(12_001, 1)),
            ImageFormat::Png,
        );
        assert!(wide.len() < 1_000);
        assert_eq!(
            make(&wide, FileType::Png),
            Err(ThumbnailError::TooManyPixels)
        );
        assert_eq!(make(b"%PDF-1.7", FileType::Pdf), Ok(None));
    }
}
