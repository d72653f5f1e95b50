//! Files the keeper keeps across restarts, written atomically: a temporary file in the same
//! directory, flushed to disk, then renamed over the old one. A crash leaves the old file or the
//! new one, never a torn one.

use serde::{de::DeserializeOwned, Serialize};
use std::io::Write;
use std::path::Path;

/// Writes `value` as JSON to `path` atomically.
pub fn save<T: Serialize>(path: &Path, value: &T) -> std::io::Result<()> {
    let json = serde_json::to_vec_pretty(value).map_err(std::io::Error::other)?;
    write_atomic(path, &json)
}

/// Writes `bytes` to `path` atomically.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let name = path
        .file_name()
        .map_or("keeper".into(), |n| n.to_string_lossy());
    let tmp = dir.join(format!(".{name}.tmp"));
    {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, path)
}

/// Reads `path`; `None` when it does not exist.
pub fn load<T: DeserializeOwned>(path: &Path) -> std::io::Result<Option<T>> {
    match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(std::io::Error::other),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_replaces() {
        let dir = std::env::temp_dir().join(format!("keeper-ckpt-{}", std::process::id()));
        let path = dir.join("state.json");
        assert_eq!(load::<Vec<u64>>(&path).unwrap(), None);
        save(&path, &vec![1u64, 2, 3]).unwrap();
        save(&path, &vec![4u64]).unwrap();
        assert_eq!(load::<Vec<u64>>(&path).unwrap(), Some(vec![4]));
        assert!(!dir.join(".state.json.tmp").exists());
        std::fs::write(&path, b"{torn").unwrap();
        assert!(load::<Vec<u64>>(&path).is_err());
        std::fs::remove_dir_all(dir).unwrap();
    }
}
