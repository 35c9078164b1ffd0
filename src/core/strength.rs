//! Password strength estimates (zxcvbn).

use crate::core::secret::SecretString;

/// A strength estimate in terms a person can act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Strength {
    /// 0 (trivial) to 4 (very strong).
    pub score: u8,
    /// Estimated time to crack offline with a slow hash, in words.
    pub crack_time: String,
    /// What is wrong with it, if zxcvbn says.
    pub warning: Option<String>,
    /// How to do better.
    pub suggestions: Vec<String>,
}

impl Strength {
    /// Whether the password is weak enough to warn about (score below 3).
    pub fn is_weak(&self) -> bool {
        self.score < 3
    }

    /// A label for the score.
    pub fn label(&self) -> &'static str {
        match self.score {
            0 => "very weak",
            1 => "weak",
            2 => "fair",
            3 => "strong",
            _ => "very strong",
        }
    }
}

/// Estimates a password's strength. `context` holds words that make a
/// password easier to guess for this user (their name, the site).
pub fn estimate(password: &SecretString, context: &[&str]) -> Strength {
    // zxcvbn is quadratic in places; beyond 256 characters length alone is strength.
    let text: String = password.expose().chars().take(256).collect();
    let text = SecretString::new(text);
    let entropy = zxcvbn::zxcvbn(text.expose(), context);
    let feedback = entropy.feedback();
    Strength {
        score: u8::from(entropy.score()),
        crack_time: entropy
            .crack_times()
            .offline_slow_hashing_1e4_per_second()
            .to_string(),
        warning: feedback.and_then(|f| f.warning()).map(|w| w.to_string()),
        suggestions: feedback
            .map(|f| f.suggestions().iter().map(|s| s.to_string()).collect())
            .unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_password_is_weak_and_long_random_one_is_not() {
        let weak = estimate(&"password1".into(), &[]);
        assert!(weak.is_weak());
        let strong = estimate(&"vq7#Lr2!xPz9@Kt4mW".into(), &[]);
        assert!(!strong.is_weak(), "{strong:?}");
    }
}
