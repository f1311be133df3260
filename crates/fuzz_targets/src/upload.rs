//! Uploaded documents (/portal/documents, ethics complaint documents): the content check
//! `files::Inspector` makes on every chunk as the upload streams in (PDF, PNG or JPEG,
//! complete, not encrypted, within the size limit).

use files::{FileKind, FileRejection, Inspector};

use crate::Verdict;

const LIMIT: u64 = 20 * 1024 * 1024;

fn inspect<'a>(chunks: impl IntoIterator<Item = &'a [u8]>, limit: u64) -> Result<FileKind, FileRejection> {
    let mut inspector = Inspector::new(limit);
    for chunk in chunks {
        inspector.update(chunk)?;
    }
    inspector.finish()
}

/// The first byte sets a chunk size (1 to 256), the rest is the file. The verdict must not
/// depend on how the upload was cut into chunks (the network decides that); an accepted
/// file is of the type its first bytes name; one byte over the limit is refused as too large.
pub fn upload_inspector(data: &[u8]) -> Verdict {
    let Some((&size, file)) = data.split_first() else {
        return Verdict::Refused;
    };
    let whole = inspect([file], LIMIT);
    let chunked = inspect(file.chunks(usize::from(size) + 1), LIMIT);
    assert_eq!(
        whole,
        chunked,
        "the verdict changed with chunks of {} bytes",
        usize::from(size) + 1
    );
    let bytewise = inspect(file.chunks(1), LIMIT);
    assert_eq!(whole, bytewise, "the verdict changed with one byte at a time");
    if let Ok(kind) = whole {
        assert_eq!(files::sniff(file), Some(kind));
    }
    if let Some(limit) = (file.len() as u64).checked_sub(1) {
        assert_eq!(
            inspect([file], limit),
            Err(FileRejection::TooLarge { limit_bytes: limit })
        );
    }
    Verdict::of(whole.is_ok())
}
