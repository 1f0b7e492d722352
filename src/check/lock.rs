//! The image lock (`NAME.deploy.lock`): the digest each image was pushed with.
//!
//! Input: the lock file's text (read by the caller; the library reads no files) and the
//! checked models. Output: each service's `locked_digest`, and the diagnostics E0340–E0344,
//! W0311 and W0312. The format is one image a line, `REPOSITORY:TAG sha256:HEX`, with `#`
//! comments and blank lines ignored (see `notes/image-lock.md` for why).

use std::collections::{BTreeMap, BTreeSet};

use super::model::{Deployment, image_repository, image_tag};
use crate::diagnostics::{Diagnostic, Diagnostics, codes};
use crate::source::{FileId, Span};

/// One line of the lock.
#[derive(Debug, Clone)]
pub struct LockEntry {
    /// `registry/repository:tag`, as the pods pull it.
    pub image: String,
    /// `sha256:` and 64 lowercase hexadecimal digits.
    pub digest: String,
    /// The image's text on its line.
    pub image_span: Span,
    /// The digest's text on its line.
    pub digest_span: Span,
}

/// The lock's entries by image; a malformed line is reported (E0340, E0341) and left out, and
/// an image locked twice is E0342 (the first line is kept).
pub fn parse(sink: &mut Diagnostics, file: FileId, text: &str) -> BTreeMap<String, LockEntry> {
    let mut entries: BTreeMap<String, LockEntry> = BTreeMap::new();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        let content = line.trim_end_matches(['\n', '\r']);
        let trimmed = content.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let line_span = Span::new(file, start, start + content.len());
        let fields: Vec<(usize, &str)> = fields(content);
        let [(image_at, image), (digest_at, digest)] = fields.as_slice() else {
            sink.push(
                Diagnostic::new(codes::E0340, "lock line is not `IMAGE:TAG DIGEST`")
                    .at(line_span, match fields.len() {
                        1 => "one field; a lock line has two".to_string(),
                        n => format!("{n} fields; a lock line has two"),
                    })
                    .help("write one image a line, `registry.example.com/team/app:1.4.2 sha256:…`, or delete the line and run `scripts/build-images.sh` again"),
            );
            continue;
        };
        let image_span = Span::new(file, start + image_at, start + image_at + image.len());
        let digest_span = Span::new(file, start + digest_at, start + digest_at + digest.len());
        if image.contains('@') || image_tag(image).is_empty() {
            sink.push(
                Diagnostic::new(codes::E0340, format!("`{image}` in the lock is not an image with a tag"))
                    .at(image_span, "needs `:TAG` and no `@digest`")
                    .help(format!(
                        "write the image as the file names it, with its tag, such as `{}:1.4.2`",
                        image_repository(image)
                    )),
            );
            continue;
        }
        if !is_digest(digest) {
            sink.push(
                Diagnostic::new(codes::E0341, format!("`{digest}` is not an image digest"))
                    .at(digest_span, "not `sha256:` and 64 lowercase hex digits")
                    .help("copy the digest the registry reported for the push (`containerimage.digest` in buildx's metadata file), or run `scripts/build-images.sh` again"),
            );
            continue;
        }
        if let Some(first) = entries.get(*image) {
            sink.push(
                Diagnostic::new(codes::E0342, format!("`{image}` is locked twice"))
                    .at(image_span, "locked again here")
                    .also(first.image_span, "first locked here")
                    .help("keep one line per image: delete the stale one (the build script writes each image once)"),
            );
            continue;
        }
        entries.insert(
            image.to_string(),
            LockEntry { image: image.to_string(), digest: digest.to_string(), image_span, digest_span },
        );
    }
    entries
}

/// Set each service's `locked_digest` from `entries` and report: a digest in the file that the
/// lock contradicts (E0344), a lock entry no service uses (E0343, when `check_unused`: not when
/// one environment is checked alone), a built image without an entry (W0311), and, when there
/// is a lock, an image pinned by tag alone (W0312).
pub fn apply(
    sink: &mut Diagnostics,
    entries: &BTreeMap<String, LockEntry>,
    have_lock: bool,
    check_unused: bool,
    models: &mut [Deployment],
) {
    let mut used: BTreeSet<&str> = BTreeSet::new();
    // Environments share the syntax tree: one mistake is reported once.
    let mut reported: BTreeSet<(&'static str, u32, usize)> = BTreeSet::new();
    let mut report = |sink: &mut Diagnostics, diagnostic: Diagnostic, span: Span| {
        if reported.insert((diagnostic.code, span.file.0, span.start)) {
            sink.push(diagnostic);
        }
    };
    for model in models.iter_mut() {
        let lock_name = format!("{}.lock", model.source_name);
        let registry = model.registry.clone();
        for service in &mut model.services {
            if service.incomplete {
                continue;
            }
            let written = service.image.value.as_str();
            let (reference, written_digest) = match written.split_once('@') {
                Some((reference, digest)) => (reference, Some(digest)),
                None => (written, None),
            };
            if let (Some(build), Some(_)) = (&service.build, written_digest) {
                report(
                    sink,
                    Diagnostic::new(codes::E0344, format!("`{}` is built from source and pinned by hand", service.name.value))
                        .at(service.image.span, "a digest written in the file")
                        .also(build.span, "built here, so each push has a new digest")
                        .help(format!("drop the `@sha256:…` from `image`: the build script records each pushed digest in `{lock_name}`")),
                    service.image.span,
                );
                continue;
            }
            if image_tag(reference).is_empty() {
                continue;
            }
            let key = crate::lower::plan::full_image(registry.as_deref(), reference);
            match entries.get(&key) {
                Some(entry) => {
                    used.insert(entry.image.as_str());
                    match written_digest {
                        Some(digest) if digest != entry.digest => report(
                            sink,
                            Diagnostic::new(codes::E0344, format!("the file and the lock pin `{key}` to different digests"))
                                .at(service.image.span, "pinned to one digest here")
                                .also(entry.digest_span, "and to another in the lock")
                                .help("keep one: drop the `@sha256:…` from `image` to use the lock's, or delete the lock's line"),
                            service.image.span,
                        ),
                        Some(_) => {}
                        None => service.locked_digest = Some(entry.digest.clone()),
                    }
                }
                None if written_digest.is_some() => {}
                None if service.build.is_some() => report(
                    sink,
                    Diagnostic::new(codes::W0311, format!("`{key}` is built from source but has no digest in the lock"))
                        .at(service.image.span, "written by tag: what the pods run can change under you")
                        .help(format!("run `scripts/build-images.sh` from the output, which pushes the image and records its digest in `{lock_name}`, then build again")),
                    service.image.span,
                ),
                None if have_lock && !service.allows("image_tags") => report(
                    sink,
                    Diagnostic::new(codes::W0312, format!("`{key}` is pinned by tag and has no digest in the lock"))
                        .at(service.image.span, "what this tag points at can change")
                        .help(format!("add the line `{key} sha256:…` to `{lock_name}` (`crane digest {key}` prints the digest), or write `allow image_tags because \"…\"`")),
                    service.image.span,
                ),
                None => {}
            }
        }
    }
    if !check_unused {
        return;
    }
    for entry in entries.values().filter(|e| !used.contains(e.image.as_str())) {
        let near = models
            .iter()
            .flat_map(|m| m.services.iter().map(move |s| (m, s)))
            .map(|(m, s)| crate::lower::plan::full_image(m.registry.as_deref(), &s.image.value))
            .find(|image| image_repository(image) == image_repository(&entry.image));
        sink.push(
            Diagnostic::new(codes::E0343, format!("the lock pins `{}`, which no service runs", entry.image))
                .at(entry.image_span, "no service's image")
                .help(match near {
                    Some(image) => format!("a service runs `{image}`: delete this line and run `scripts/build-images.sh` again, or correct the tag"),
                    None => "delete the line: a stale digest would be taken for a pinned image".to_string(),
                }),
        );
    }
}

/// The whitespace-separated fields of a line, with their byte offsets.
fn fields(line: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in line.char_indices() {
        match (c == ' ' || c == '\t', start) {
            (true, Some(s)) => {
                out.push((s, line.get(s..i).unwrap_or_default()));
                start = None;
            }
            (false, None) => start = Some(i),
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push((s, line.get(s..).unwrap_or_default()));
    }
    out
}

/// `sha256:` and 64 lowercase hexadecimal digits.
pub fn is_digest(text: &str) -> bool {
    text.strip_prefix("sha256:")
        .is_some_and(|hex| hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)))
}
