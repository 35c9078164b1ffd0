//! `password-manager`: the command line (and, later, the window).

fn main() -> std::process::ExitCode {
    spm::cli::run()
}
