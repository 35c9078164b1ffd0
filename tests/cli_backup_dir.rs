//! `backup.dir`: a chosen backups folder that `backup`, `backup status`,
//! `backup prune` and automatic backups all use.

mod common;

use common::TestVault;

fn archives(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with("backup_") && n.ends_with(".zip"))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

#[test]
fn every_backup_command_uses_the_chosen_folder() {
    let v = TestVault::new();
    let chosen = tempfile::tempdir().unwrap();
    let folder = chosen.path().join("vault-backups");
    v.run(
        &["settings", "set", "backup.dir", folder.to_str().unwrap()],
        "",
    )
    .ok();

    // A writing command takes the automatic backup into the chosen folder
    // (once the vault holds something).
    v.add(&["--title", "Mail"], "pw-mail");
    v.add(&["--title", "Bank"], "pw-bank");
    assert_eq!(archives(&folder).len(), 1, "the automatic backup");
    assert!(
        archives(&v.file("backups")).is_empty(),
        "nothing in the default folder"
    );

    // So does a manual one, and status and prune look there.
    let run = v.run_unlocked(&["backup", "--json"], &[]).ok();
    let path = std::path::PathBuf::from(run.json()["path"].as_str().unwrap());
    assert_eq!(path.parent(), Some(folder.as_path()));
    let status = v.run(&["backup", "status", "--json"], "").ok();
    assert_eq!(status.json()["last_backup"], path.to_str().unwrap());
    assert_eq!(status.json()["verified"], true);
    let pruned = v.run(&["backup", "prune", "--dry-run"], "").ok();
    assert!(pruned.stdout.contains("kept 1"), "{}", pruned.stdout);
}

#[test]
fn a_relative_backup_folder_is_refused() {
    let v = TestVault::new();
    let run = v.run(&["settings", "set", "backup.dir", "backups"], "");
    assert_ne!(run.code, 0);
    assert!(
        run.stderr.contains("absolute directory path"),
        "{}",
        run.stderr
    );
}
