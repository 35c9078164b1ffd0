//! Behaviour on a real terminal, through a pseudo-terminal made by
//! util-linux's `script`: prompts without echo, a repeated new master
//! password, and confirmation questions.

mod common;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use common::{FAST_KDF, MASTER, binary};

/// Runs the binary on a pseudo-terminal, typing `typed`; returns (exit code, screen).
fn on_terminal(dir: &Path, args: &[&str], typed: &str) -> Option<(i32, String)> {
    let mut line = format!("{} --data-dir {}", binary().display(), dir.display());
    for arg in args {
        line.push(' ');
        line.push_str(arg);
    }
    let mut child = Command::new("script")
        .args(["-qec", &line, "/dev/null"])
        .env_remove("PASSWORD_MANAGER_HOME")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .ok()?;
    child.stdin.take()?.write_all(typed.as_bytes()).ok()?;
    let out = child.wait_with_output().ok()?;
    Some((
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    ))
}

fn init_args() -> Vec<&'static str> {
    let mut args = vec!["init"];
    args.extend(FAST_KDF);
    args
}

#[test]
fn a_terminal_is_asked_twice_and_confirms_permanent_deletes() {
    let dir = tempfile::tempdir().unwrap();
    let typed = format!("{MASTER}\n{MASTER}\n");
    let Some((code, screen)) = on_terminal(dir.path(), &init_args(), &typed) else {
        eprintln!("skipped: util-linux `script` is not installed");
        return;
    };
    assert_eq!(code, 0, "{screen}");
    assert!(screen.contains("New master password:"), "{screen}");
    assert!(screen.contains("Repeat the master password:"), "{screen}");

    let add = format!("{MASTER}\n");
    let (code, _) =
        on_terminal(dir.path(), &["add", "--title", "Old", "--generate"], &add).unwrap();
    assert_eq!(code, 0);
    on_terminal(dir.path(), &["rm", "Old"], &add).unwrap();

    let (code, screen) =
        on_terminal(dir.path(), &["trash", "empty"], &format!("{MASTER}\nn\n")).unwrap();
    assert_eq!(code, 0, "{screen}");
    assert!(
        screen.contains("Delete 1 entry in the trash for good? [y/N]"),
        "{screen}"
    );
    assert!(screen.contains("Nothing was deleted."), "{screen}");

    let (code, screen) =
        on_terminal(dir.path(), &["trash", "empty"], &format!("{MASTER}\ny\n")).unwrap();
    assert_eq!(code, 0, "{screen}");
    assert!(screen.contains("Deleted 1 entry for good."), "{screen}");
}

#[test]
fn differing_new_passwords_and_a_declined_weak_one_create_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let typed = format!("{MASTER}\nsomething else\n");
    let Some((code, screen)) = on_terminal(dir.path(), &init_args(), &typed) else {
        eprintln!("skipped: util-linux `script` is not installed");
        return;
    };
    assert_eq!(code, 1, "{screen}");
    assert!(
        screen.contains("the two master passwords differ"),
        "{screen}"
    );
    assert!(!dir.path().join("auth.json").exists());

    let (code, screen) =
        on_terminal(dir.path(), &init_args(), "password1\npassword1\nn\n").unwrap();
    assert_eq!(code, 1, "{screen}");
    assert!(
        screen.contains("Use this weak password anyway? [y/N]"),
        "{screen}"
    );
    assert!(!dir.path().join("auth.json").exists());
}
