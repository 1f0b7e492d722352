//! `scripts/build-images.sh` against a stand-in `docker` that keeps a registry's state and
//! fails as the real tool does (a missing Dockerfile or context, a metadata file in a
//! directory that does not exist, a registry host this machine cannot resolve): build → push
//! → digest in the lock → `deployc build` pins it → a rebuild with unchanged images leaves the
//! lock unchanged, and a changed context changes only its own line.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use deployc::testing::{compile_path, install_stand_ins, recorded_calls};

/// `docker buildx` as far as build-images.sh uses it. The digest is a hash of the context's
/// files, as a reproducible build's would be; the registry is a directory of pushed refs.
/// buildx v0.36.1 docs/reference/buildx_build.md: `--metadata-file` writes JSON with
/// `containerimage.digest`, and "the directory of the specified file must already exist".
const DOCKER: &str = r#"#!/usr/bin/env bash
set -euo pipefail
printf '%s\n' "$(printf '%q' docker; printf ' %q' "$@")" >> "$CALLS"
[ "${1:-}" = buildx ] || { echo "docker: '$1' is not a docker command (stand-in)" >&2; exit 1; }
shift
case "${1:-}" in
  version) echo "github.com/docker/buildx v0.36.1 1d8dde89"; exit 0 ;;
  build) shift ;;
  *) echo "ERROR: unknown buildx command: ${1:-}" >&2; exit 1 ;;
esac
push=0 metadata="" tag="" file="" context=""
while [ $# -gt 0 ]; do
  case "$1" in
    --push) push=1 ;;
    --metadata-file) metadata="$2"; shift ;;
    --tag|-t) tag="$2"; shift ;;
    --file|-f) file="$2"; shift ;;
    -*) echo "ERROR: unknown flag: $1" >&2; exit 1 ;;
    *) context="$1" ;;
  esac
  shift
done
[ -d "$context" ] || { echo "ERROR: failed to solve: unable to prepare context: path \"$context\" not found" >&2; exit 1; }
file="${file:-$context/Dockerfile}"
[ -f "$file" ] || { echo "ERROR: failed to solve: failed to read dockerfile: open $file: no such file or directory" >&2; exit 1; }
host="${tag%%/*}"
case "$host" in
  localhost:*|*.*) ;;
  *) echo "ERROR: failed to push $tag: dial tcp: lookup ${host%%:*}: no such host" >&2; exit 1 ;;
esac
digest="sha256:$( (cd "$context" && find . -type f | LC_ALL=C sort | xargs sha256sum) | sha256sum | cut -c1-64)"
if [ -n "$metadata" ]; then
  [ -d "$(dirname "$metadata")" ] || { echo "ERROR: open $metadata: no such file or directory" >&2; exit 1; }
  printf '{\n  "buildx.build.ref": "default/default/stand-in",\n  "containerimage.descriptor": {\n    "mediaType": "application/vnd.oci.image.index.v1+json",\n    "digest": "%s"\n  },\n  "containerimage.digest": "%s",\n  "image.name": "%s"\n}\n' "$digest" "$digest" "$tag" > "$metadata"
fi
if [ "$push" = 1 ]; then
  mkdir -p "$REGISTRY/$(dirname "$tag")"
  printf '%s\n' "$digest" > "$REGISTRY/$tag"
fi
"#;

const DEPLOY: &str = "examples/shop-from-source-k3d.deploy";

struct Project {
    root: PathBuf,
}

impl Project {
    /// The example copied with its build contexts and a lock holding only postgres's line.
    fn new(tag: &str) -> Project {
        let root = std::env::temp_dir().join(format!("deployc-images-{}-{tag}", std::process::id()));
        let _ = fs::remove_dir_all(&root);
        fs::create_dir_all(root.join("src/api")).expect("api context");
        fs::create_dir_all(root.join("src/web")).expect("web context");
        fs::create_dir_all(root.join("registry")).expect("registry");
        fs::copy(DEPLOY, root.join("src/shop.deploy")).expect("copy the example");
        fs::write(root.join("src/api/Dockerfile"), "FROM scratch\nCOPY app /app\n").expect("Dockerfile");
        fs::write(root.join("src/api/app"), "api 1\n").expect("app");
        fs::write(root.join("src/web/Dockerfile.prod"), "FROM nginx\nCOPY site /usr/share/nginx/html\n").expect("web");
        let postgres = fs::read_to_string(format!("{DEPLOY}.lock"))
            .expect("the example's lock")
            .lines()
            .filter(|line| line.starts_with("docker.io/library/postgres:"))
            .collect::<Vec<_>>()
            .join("\n");
        fs::write(root.join("src/shop.deploy.lock"), format!("{postgres}\n")).expect("lock");
        install_stand_ins(&root.join("bin"), DOCKER, &["docker"]);
        Project { root }
    }

    fn lock(&self) -> String {
        fs::read_to_string(self.root.join("src/shop.deploy.lock")).unwrap_or_default()
    }

    /// `deployc build src/shop.deploy -o src/out`, as the library does it; the diagnostics.
    fn build(&self) -> (deployc::output::OutputTree, Vec<String>) {
        let result = compile_path(&self.root.join("src/shop.deploy"));
        let tree = result.output.unwrap_or_else(|| panic!("must compile:\n{}", result.rendered));
        let _ = fs::remove_dir_all(self.root.join("src/out"));
        deployc::output::write_atomically(&tree, &self.root.join("src/out")).expect("write output");
        (tree, result.diagnostics.iter().map(|d| d.code.to_string()).collect())
    }

    fn build_images(&self, env: &[(&str, &str)]) -> Output {
        let mut command = Command::new("bash");
        command
            .arg(self.root.join("src/out/scripts/build-images.sh"))
            .current_dir(&self.root)
            .env_clear()
            .env("PATH", format!("{}:/usr/bin:/bin", self.root.join("bin").display()))
            .env("HOME", &self.root)
            .env("CALLS", self.root.join("calls.log"))
            .env("REGISTRY", self.root.join("registry"));
        for (key, value) in env {
            command.env(key, value);
        }
        command.output().expect("bash runs")
    }

    fn calls(&self) -> Vec<String> {
        recorded_calls(&self.root.join("calls.log")).into_iter().map(|words| words.join(" ")).collect()
    }
}

impl Drop for Project {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.root);
    }
}

fn text(output: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
}

fn pushed(root: &Path, image: &str) -> String {
    fs::read_to_string(root.join("registry").join(image)).unwrap_or_default().trim().to_string()
}

fn image_lines(tree: &deployc::output::OutputTree) -> Vec<String> {
    let mut lines: Vec<String> = tree
        .iter()
        .filter(|(name, _)| name.starts_with("manifests/"))
        .flat_map(|(_, text)| text.lines().map(|l| l.trim_start().trim_start_matches("- ").to_string()))
        .filter(|l| l.starts_with("image: "))
        .collect();
    lines.sort();
    lines
}

#[test]
fn build_push_lock_pin_and_an_unchanged_rebuild_changes_nothing() {
    let project = Project::new("cycle");
    let (first, codes) = project.build();
    assert_eq!(codes.iter().filter(|c| *c == "W0311").count(), 2, "api and web are not pinned yet: {codes:?}");
    assert!(
        image_lines(&first).iter().any(|l| l.ends_with("k3d-registry:5000/shop/api:2.0.0")),
        "{:?}",
        image_lines(&first)
    );

    let note = "run ./build-images.sh, then deployc build again";
    assert!(first.get("scripts/deploy.sh").is_some_and(|t| t.contains(note)), "deploy.sh names the fix");
    let run = project.build_images(&[]);
    assert!(run.status.success(), "build-images.sh failed:\n{}", text(&run));
    // Pushed through localhost (k3d's registry as this machine reaches it), pinned by the name
    // the pods pull.
    let api = pushed(&project.root, "localhost:5000/shop/api:2.0.0");
    let web = pushed(&project.root, "localhost:5000/shop/web:1.3.0");
    assert!(api.starts_with("sha256:") && web.starts_with("sha256:"), "nothing pushed:\n{}", text(&run));
    let lock = project.lock();
    assert!(lock.contains(&format!("k3d-registry:5000/shop/api:2.0.0 {api}\n")), "{lock}");
    assert!(lock.contains(&format!("k3d-registry:5000/shop/web:1.3.0 {web}\n")), "{lock}");
    assert!(lock.contains("docker.io/library/postgres:17.9-alpine3.23 sha256:"), "postgres's line is kept:\n{lock}");
    let calls = project.calls();
    assert!(
        calls.iter().any(|c| c.contains("--file ") && c.contains("/web/Dockerfile.prod")),
        "the web service's dockerfile: {calls:?}"
    );

    let (pinned, codes) = project.build();
    assert!(codes.is_empty(), "everything is pinned: {codes:?}");
    let images = image_lines(&pinned);
    assert!(images.contains(&format!("image: k3d-registry:5000/shop/api:2.0.0@{api}")), "{images:?}");
    assert!(images.contains(&format!("image: k3d-registry:5000/shop/web:1.3.0@{web}")), "{images:?}");
    assert!(images.iter().all(|l| l.contains("@sha256:")), "every image by digest: {images:?}");
    assert!(pinned.get("scripts/deploy.sh").is_some_and(|t| !t.contains(note)), "nothing left to pin");

    // Unchanged images: the lock keeps its bytes (and its inode: it is not rewritten).
    let inode = |p: &Path| {
        use std::os::unix::fs::MetadataExt;
        fs::metadata(p).map(|m| m.ino()).unwrap_or_default()
    };
    let before = inode(&project.root.join("src/shop.deploy.lock"));
    let again = project.build_images(&[]);
    assert!(again.status.success(), "{}", text(&again));
    assert!(text(&again).contains("unchanged"), "{}", text(&again));
    assert_eq!(project.lock(), lock);
    assert_eq!(inode(&project.root.join("src/shop.deploy.lock")), before, "the lock was rewritten");
    let (rebuilt, _) = project.build();
    assert_eq!(rebuilt, pinned, "an unchanged rebuild changes no output");

    // A changed context: only its line moves.
    fs::write(project.root.join("src/api/app"), "api 2\n").expect("change the api");
    let changed = project.build_images(&[]);
    assert!(changed.status.success(), "{}", text(&changed));
    let new_api = pushed(&project.root, "localhost:5000/shop/api:2.0.0");
    assert_ne!(new_api, api);
    let new_lock = project.lock();
    assert_eq!(new_lock, lock.replace(&api, &new_api), "only the api's line changes");
}

#[test]
fn dry_run_builds_nothing_and_leaves_the_lock() {
    let project = Project::new("dry");
    project.build();
    let lock = project.lock();
    let run = project.build_images(&[("DRY_RUN", "1")]);
    assert!(run.status.success(), "{}", text(&run));
    assert!(project.calls().is_empty(), "a dry run called {:?}", project.calls());
    assert!(text(&run).contains("+ docker buildx build --push --metadata-file"), "{}", text(&run));
    assert_eq!(project.lock(), lock);
}

#[test]
fn a_missing_dockerfile_stops_the_script_and_leaves_the_lock() {
    let project = Project::new("missing");
    project.build();
    let lock = project.lock();
    fs::remove_file(project.root.join("src/web/Dockerfile.prod")).expect("remove the Dockerfile");
    let run = project.build_images(&[]);
    assert!(!run.status.success(), "must fail:\n{}", text(&run));
    assert!(text(&run).contains("failed to read dockerfile"), "{}", text(&run));
    assert_eq!(project.lock(), lock, "a failed build writes no lock");
}

/// The pipeline's way (`ONLY_UNLOCKED=1`, `LOGGED_IN=1`, `BUILT_LIST`): an image version the
/// lock has is not rebuilt, even when its context changed (a tag names one build), so a rerun
/// changes nothing; a new version in the file is built, and only it is listed for the scan.
#[test]
fn only_unlocked_builds_just_the_versions_the_lock_lacks_and_lists_them() {
    let project = Project::new("unlocked");
    project.build();
    let first = project.build_images(&[]);
    assert!(first.status.success(), "{}", text(&first));
    let lock = project.lock();
    let listed = project.root.join("built.list");
    let list = listed.to_string_lossy().into_owned();
    let pipeline = [("ONLY_UNLOCKED", "1"), ("LOGGED_IN", "1"), ("BUILT_LIST", list.as_str())];

    fs::write(project.root.join("src/api/app"), "api 2\n").expect("change the api");
    let calls = project.calls().len();
    let rerun = project.build_images(&pipeline);
    assert!(rerun.status.success(), "{}", text(&rerun));
    assert!(
        project.calls()[calls..].iter().all(|c| !c.contains("buildx build")),
        "nothing to build: {:?}",
        &project.calls()[calls..]
    );
    assert_eq!(project.lock(), lock, "the lock is unchanged");
    assert_eq!(fs::read_to_string(&listed).expect("the list"), "", "nothing built, nothing listed");

    let source = project.root.join("src/shop.deploy");
    let text_of = fs::read_to_string(&source).expect("the file");
    fs::write(&source, text_of.replace("\"api:2.0.0\"", "\"api:2.1.0\"")).expect("bump the api");
    // As E0343 says: the old version's line goes with it.
    let lock_path = project.root.join("src/shop.deploy.lock");
    let kept: String = lock.lines().filter(|l| !l.contains("/shop/api:2.0.0 ")).map(|l| format!("{l}\n")).collect();
    fs::write(&lock_path, &kept).expect("drop the old line");
    project.build();
    let release = project.build_images(&pipeline);
    assert!(release.status.success(), "{}", text(&release));
    let built: Vec<String> = project.calls()[calls..].iter().filter(|c| c.contains("buildx build")).cloned().collect();
    assert_eq!(built.len(), 1, "only the new version: {built:?}");
    assert!(built[0].contains("localhost:5000/shop/api:2.1.0"), "{built:?}");
    let api = pushed(&project.root, "localhost:5000/shop/api:2.1.0");
    assert_eq!(fs::read_to_string(&listed).expect("the list"), format!("k3d-registry:5000/shop/api:2.1.0 {api}\n"));
    assert!(project.lock().contains(&format!("k3d-registry:5000/shop/api:2.1.0 {api}\n")), "{}", project.lock());
}
