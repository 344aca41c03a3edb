//! Rebuild the crate whenever an embedded file changes: the pages, scripts, styles, words and
//! vendored files are compiled in with `include_bytes!`/`include_str!`, and cargo is told to
//! watch their folders as a whole (a file's change is then never missed).

fn main() {
    for folder in ["assets", "templates", "i18n"] {
        println!("cargo:rerun-if-changed={folder}");
    }
}
