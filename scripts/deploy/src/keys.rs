//! The deployer's key: `PRIVATE_KEY`, or an encrypted JSON keystore (`--keystore`, password in
//! `KEYSTORE_PASSWORD` or in the file `KEYSTORE_PASSWORD_FILE` names), read from the environment
//! or a `.env` file. A key is never printed:
//! errors name the variable or the file, never its content.

use alloy::signers::local::PrivateKeySigner;
use std::collections::HashMap;
use std::path::Path;

/// The environment with a `.env` file underneath (the process environment wins).
#[derive(Debug, Clone, Default)]
pub struct Env {
    file: HashMap<String, String>,
}

impl Env {
    /// The process environment over `dir/.env` (if there is one).
    pub fn load(dir: &Path) -> Self {
        let file = std::fs::read_to_string(dir.join(".env"))
            .map(|text| parse_dotenv(&text))
            .unwrap_or_default();
        Self { file }
    }

    pub fn get(&self, key: &str) -> Option<String> {
        std::env::var(key)
            .ok()
            .or_else(|| self.file.get(key).cloned())
            .filter(|v| !v.is_empty())
    }
}

/// `KEY=value` lines; `#` comments, `export ` prefixes and matching quotes are allowed.
pub fn parse_dotenv(text: &str) -> HashMap<String, String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| {
            let l = l.strip_prefix("export ").unwrap_or(l);
            let (k, v) = l.split_once('=')?;
            let v = v.trim();
            let v = v
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .or_else(|| v.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')))
                .unwrap_or(v);
            Some((k.trim().to_string(), v.to_string()))
        })
        .collect()
}

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("no key: set PRIVATE_KEY (environment or .env), or pass --keystore <file> with KEYSTORE_PASSWORD")]
    Missing,
    #[error("PRIVATE_KEY is not a private key (expected 32 bytes of hex)")]
    BadPrivateKey,
    #[error("--keystore given but neither KEYSTORE_PASSWORD nor KEYSTORE_PASSWORD_FILE is set (environment or .env)")]
    NoPassword,
    #[error("cannot read the password file {path} (KEYSTORE_PASSWORD_FILE): {reason}")]
    PasswordFile { path: String, reason: String },
    #[error("cannot decrypt the keystore {path}: wrong password or not a keystore file")]
    Keystore { path: String },
}

/// The signer from `keystore` (if given) or `PRIVATE_KEY`.
pub fn signer(env: &Env, keystore: Option<&Path>) -> Result<PrivateKeySigner, KeyError> {
    if let Some(path) = keystore {
        let password = match (
            env.get("KEYSTORE_PASSWORD"),
            env.get("KEYSTORE_PASSWORD_FILE"),
        ) {
            (Some(password), _) => password,
            // A password file ends with a newline that is not part of the password.
            (None, Some(file)) => std::fs::read_to_string(&file)
                .map_err(|e| KeyError::PasswordFile {
                    path: file.clone(),
                    reason: e.to_string(),
                })?
                .trim_end_matches(['\n', '\r'])
                .to_string(),
            (None, None) => return Err(KeyError::NoPassword),
        };
        return PrivateKeySigner::decrypt_keystore(path, password).map_err(|_| {
            KeyError::Keystore {
                path: path.display().to_string(),
            }
        });
    }
    let key = env.get("PRIVATE_KEY").ok_or(KeyError::Missing)?;
    key.trim().parse().map_err(|_| KeyError::BadPrivateKey)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dotenv_lines() {
        let env = parse_dotenv(
            "# comment\nPRIVATE_KEY=\"0xab\"\nexport RPC='http://x'\n\nEMPTY=\nBAD LINE\n",
        );
        assert_eq!(env["PRIVATE_KEY"], "0xab");
        assert_eq!(env["RPC"], "http://x");
        assert_eq!(env["EMPTY"], "");
        assert_eq!(env.len(), 3);
    }

    #[test]
    fn bad_key_error_does_not_echo_the_key() {
        let secret = "0xnot-a-key-but-secret-looking";
        let env = Env {
            file: [("PRIVATE_KEY".to_string(), secret.to_string())].into(),
        };
        if std::env::var("PRIVATE_KEY").is_ok() {
            return;
        }
        let err = signer(&env, None).unwrap_err();
        assert!(matches!(err, KeyError::BadPrivateKey));
        assert!(!err.to_string().contains("secret"));
        assert!(!format!("{err:?}").contains("secret"));
    }

    #[test]
    fn keystore_roundtrip_and_wrong_password() {
        let dir = std::env::temp_dir().join(format!("options-keystore-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut rng = rand::thread_rng();
        let (key, name) =
            PrivateKeySigner::new_keystore(&dir, &mut rng, "correct horse", None).unwrap();
        let path = dir.join(name);
        let with = |password: &str| Env {
            file: [("KEYSTORE_PASSWORD".to_string(), password.to_string())].into(),
        };
        if std::env::var("KEYSTORE_PASSWORD").is_err() {
            let opened = signer(&with("correct horse"), Some(&path)).unwrap();
            assert_eq!(opened.address(), key.address());
            assert!(matches!(
                signer(&with("wrong"), Some(&path)),
                Err(KeyError::Keystore { .. })
            ));
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
