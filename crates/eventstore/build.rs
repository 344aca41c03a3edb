//! Rebuild when a migration is added or changed: `sqlx::migrate!` embeds the files at compile
//! time but does not tell cargo to watch the folder.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
