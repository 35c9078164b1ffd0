//! Password and passphrase generation from the operating system's randomness.

use rand::Rng;
use rand::rngs::OsRng;
use rand::seq::SliceRandom;

use crate::core::secret::SecretString;

const LOWER: &str = "abcdefghijklmnopqrstuvwxyz";
const UPPER: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const DIGITS: &str = "0123456789";
const SYMBOLS: &str = "!#$%&*+-=?@^_~.,;:()[]{}/";
/// Characters easily confused with one another in many fonts.
const AMBIGUOUS: &str = "Il1O0o|`'\"";

/// Shortest password the generator makes.
pub const MIN_LENGTH: usize = 8;
/// Longest password the generator makes.
pub const MAX_LENGTH: usize = 1024;
/// Default length for generated passwords.
pub const DEFAULT_LENGTH: usize = 20;
/// Default number of passphrase words.
pub const DEFAULT_WORDS: usize = 6;

/// What kind of password to make.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordPolicy {
    /// Number of characters.
    pub length: usize,
    /// Include digits.
    pub digits: bool,
    /// Include symbols.
    pub symbols: bool,
    /// Leave out characters that look alike.
    pub exclude_ambiguous: bool,
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        Self {
            length: DEFAULT_LENGTH,
            digits: true,
            symbols: true,
            exclude_ambiguous: false,
        }
    }
}

/// Makes a password with at least one character of every enabled class.
pub fn password(policy: &PasswordPolicy) -> Result<SecretString, String> {
    if !(MIN_LENGTH..=MAX_LENGTH).contains(&policy.length) {
        return Err(format!(
            "password length must be between {MIN_LENGTH} and {MAX_LENGTH}, not {}",
            policy.length
        ));
    }
    let classes = classes(policy);
    let all: Vec<char> = classes.concat();

    let mut rng = OsRng;
    let mut chars: Vec<char> = classes.iter().map(|class| pick(&mut rng, class)).collect();
    while chars.len() < policy.length {
        chars.push(pick(&mut rng, &all));
    }
    chars.shuffle(&mut rng);
    let mut out = String::with_capacity(policy.length * 4);
    out.extend(chars.iter());
    zeroize::Zeroize::zeroize(&mut chars[..]);
    Ok(SecretString::new(out))
}

/// The character classes a policy draws from.
fn classes(policy: &PasswordPolicy) -> Vec<Vec<char>> {
    let keep = |set: &str| -> Vec<char> {
        set.chars()
            .filter(|c| !policy.exclude_ambiguous || !AMBIGUOUS.contains(*c))
            .collect()
    };
    let mut classes = vec![keep(LOWER), keep(UPPER)];
    if policy.digits {
        classes.push(keep(DIGITS));
    }
    if policy.symbols {
        classes.push(keep(SYMBOLS));
    }
    classes
}

/// Every character a policy may produce (for entropy estimates).
pub fn alphabet(policy: &PasswordPolicy) -> Vec<char> {
    classes(policy).concat()
}

/// Makes a passphrase of `words` words from the 7,776-word diceware list.
pub fn passphrase(words: usize, separator: &str) -> Result<SecretString, String> {
    if !(3..=64).contains(&words) {
        return Err(format!(
            "a passphrase needs between 3 and 64 words, not {words}"
        ));
    }
    let list = wordlist();
    let mut rng = OsRng;
    let mut out = String::with_capacity(words * (10 + separator.len()));
    for i in 0..words {
        if i > 0 {
            out.push_str(separator);
        }
        out.push_str(list[rng.gen_range(0..list.len())]);
    }
    Ok(SecretString::new(out))
}

/// The diceware word list (EFF's long list, 7,776 words).
pub fn wordlist() -> &'static [&'static str] {
    diceware_wordlists::Wordlist::EffLong.get_list()
}

fn pick(rng: &mut OsRng, set: &[char]) -> char {
    set[rng.gen_range(0..set.len())]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_has_length_and_every_class() {
        for _ in 0..50 {
            let p = password(&PasswordPolicy::default()).unwrap();
            let s = p.expose();
            assert_eq!(s.chars().count(), DEFAULT_LENGTH);
            assert!(s.chars().any(|c| c.is_ascii_lowercase()));
            assert!(s.chars().any(|c| c.is_ascii_uppercase()));
            assert!(s.chars().any(|c| c.is_ascii_digit()));
            assert!(s.chars().any(|c| SYMBOLS.contains(c)));
        }
    }

    #[test]
    fn options_remove_classes_and_ambiguous_characters() {
        let policy = PasswordPolicy {
            length: 200,
            digits: false,
            symbols: false,
            exclude_ambiguous: true,
        };
        let p = password(&policy).unwrap();
        assert!(p.expose().chars().all(|c| c.is_ascii_alphabetic()));
        assert!(!p.expose().chars().any(|c| AMBIGUOUS.contains(c)));
    }

    #[test]
    fn lengths_out_of_range_are_refused() {
        let short = PasswordPolicy {
            length: 4,
            ..Default::default()
        };
        assert!(password(&short).unwrap_err().contains("between 8"));
    }

    #[test]
    fn passphrase_uses_the_full_list() {
        assert_eq!(wordlist().len(), 7776);
        let p = passphrase(5, "-").unwrap();
        let words: Vec<&str> = p.expose().split('-').collect();
        assert_eq!(words.len(), 5);
        assert!(words.iter().all(|w| wordlist().contains(w)));
    }
}
