//! Encrypted backups (`backup_….zip.enc`): a finished zip sealed under a
//! backup passphrase in fixed-size chunks, so an archive of any size streams
//! through one small buffer and never sits in memory whole.
//!
//! # Layout, version 1
//!
//! A header of [`HEADER_LEN`] bytes, then the chunks. Integers are
//! little-endian unless marked otherwise.
//!
//! ```text
//! offset  size  field
//!      0     8  magic "SPMBKENC"
//!      8     1  format version (1)
//!      9     1  key derivation (1 = Argon2id, version 0x13)
//!     10     4  Argon2id memory in KiB
//!     14     4  Argon2id passes
//!     18     4  Argon2id lanes
//!     22    32  Argon2id salt (random)
//!     54    15  nonce prefix (random)
//!     69     4  chunk size: plaintext bytes in every chunk but the last
//!     73     8  plaintext length in bytes
//!     81    32  key check: HMAC-SHA256 of a fixed label under the check key
//!    113    32  SHA-256 of bytes 0..113
//! ```
//!
//! Argon2id over the NFC form of the passphrase gives 32 bytes, which
//! HKDF-SHA256 splits into a chunk key and a check key. The plaintext is cut
//! into `ceil(length / chunk size)` chunks, all full but the last (an empty
//! plaintext is one empty chunk). Chunk `i` (from 0) is stored as its
//! XChaCha20-Poly1305 ciphertext followed by the 16-byte tag, sealed under
//! the nonce `prefix (15) || i as u64 big-endian (8) || final flag (1)`,
//! the flag being 1 for the last chunk and 0 for the others, with all
//! [`HEADER_LEN`] header bytes as associated data.
//!
//! What each part is for:
//!
//! - the header checksum reports accidental damage to the header as damage,
//!   not as a wrong passphrase;
//! - the key check tells a wrong passphrase apart from a damaged chunk;
//! - the header as associated data makes any deliberate change to it (with
//!   its checksum recomputed) fail every chunk;
//! - the index in the nonce makes reordered, repeated or missing chunks fail;
//! - the final flag and the declared length refuse a file cut at a chunk
//!   boundary or with data appended.
//!
//! The key derivation settings are held to the project's floor and to
//! [`kdf::MAX_FILE_KDF_WORK_BYTES`] before Argon2id runs. Each chunk is
//! written out only after it authenticated, but a later chunk can still
//! fail: a caller must throw away everything written when opening fails
//! ([`decrypt_to_temp`] does).

use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use crate::core::crypto::{self, NONCE_LEN, TAG_LEN};
use crate::core::fsio::{self, FileError};
use crate::core::kdf::{self, KdfError, KdfParams};
use crate::core::secret::{Key256, SecretString};

/// The suffix an encrypted archive adds to the zip's name.
pub const EXTENSION: &str = ".enc";
/// The first bytes of every encrypted backup.
pub const MAGIC: &[u8; 8] = b"SPMBKENC";
/// The format version this program writes and reads.
pub const FORMAT_VERSION: u8 = 1;
/// The length of the header.
pub const HEADER_LEN: usize = 145;
/// Plaintext bytes per chunk in the archives this program writes.
pub const DEFAULT_CHUNK_SIZE: u32 = 64 * 1024;

/// The header bytes the checksum covers.
const CHECKED_LEN: usize = HEADER_LEN - 32;
const KDF_ARGON2ID: u8 = 1;
const SALT_LEN: usize = 32;
const PREFIX_LEN: usize = NONCE_LEN - 8 - 1;
/// Chunk sizes a reader accepts: a larger one would make it allocate
/// whatever a damaged header says.
const MIN_CHUNK_SIZE: u32 = 1024;
const MAX_CHUNK_SIZE: u32 = 16 << 20;
const CHUNK_KEY_INFO: &[u8] = b"secure-password-manager backup encryption v1 chunk key";
const CHECK_KEY_INFO: &[u8] = b"secure-password-manager backup encryption v1 check key";
const KEY_CHECK_LABEL: &[u8] = b"secure-password-manager backup passphrase check";

/// An encrypted backup could not be written or opened. Every variant that
/// concerns a file names it; none holds the passphrase.
#[derive(Debug, thiserror::Error)]
pub enum SealedError {
    /// The passphrase to encrypt with is empty.
    #[error("the backup passphrase cannot be empty")]
    EmptyPassphrase,
    /// The file does not start with the magic bytes.
    #[error(
        "{} is not an encrypted backup: it does not begin with the header of one",
        path.display()
    )]
    NotSealed {
        /// The file.
        path: PathBuf,
    },
    /// A format version this program does not know.
    #[error(
        "{} is an encrypted backup of format {version}, but this program reads format \
         {FORMAT_VERSION}; open it with a newer version of the program (or its header is damaged)",
        path.display()
    )]
    NewerFormat {
        /// The file.
        path: PathBuf,
        /// The version in its header.
        version: u8,
    },
    /// The header or a chunk fails its check, or data was appended.
    #[error("{} is damaged: {detail}; restore from another copy of the backup", path.display())]
    Damaged {
        /// The file.
        path: PathBuf,
        /// What is wrong, and where.
        detail: String,
    },
    /// The file ends early.
    #[error(
        "{} is truncated: {detail}; copy the whole file again or use another copy of the backup",
        path.display()
    )]
    Truncated {
        /// The file.
        path: PathBuf,
        /// Where it ends.
        detail: String,
    },
    /// The header asks for key derivation below the floor or beyond reason.
    #[error(
        "{} asks for key derivation settings that are refused ({detail}); the file is damaged \
         or was not made by this program",
        path.display()
    )]
    RefusedKdf {
        /// The file.
        path: PathBuf,
        /// Which setting and why.
        detail: String,
    },
    /// The key check does not match: the passphrase is not the one the
    /// archive was encrypted with.
    #[error(
        "the backup passphrase is wrong for {}; give the passphrase chosen when the backup was \
         encrypted",
        path.display()
    )]
    WrongPassphrase {
        /// The file.
        path: PathBuf,
    },
    /// The archive being encrypted changed size while it was read.
    #[error("{} changed while it was being encrypted; take the backup again", path.display())]
    SourceChanged {
        /// The archive that changed.
        path: PathBuf,
    },
    /// Argon2id could not run (not enough memory, for one).
    #[error("could not derive the key for {}: {source}", path.display())]
    Kdf {
        /// The file being written or read.
        path: PathBuf,
        /// What the key derivation reported.
        source: KdfError,
    },
    /// Reading or writing a file failed.
    #[error(transparent)]
    File(#[from] FileError),
}

/// The fields of a header.
struct Header {
    kdf: KdfParams,
    salt: [u8; SALT_LEN],
    prefix: [u8; PREFIX_LEN],
    chunk_size: u32,
    plain_len: u64,
    key_check: [u8; 32],
}

impl Header {
    fn to_bytes(&self) -> [u8; HEADER_LEN] {
        let mut out = [0u8; HEADER_LEN];
        let mut at = 0;
        let mut put = |bytes: &[u8]| {
            out[at..at + bytes.len()].copy_from_slice(bytes);
            at += bytes.len();
        };
        put(MAGIC);
        put(&[FORMAT_VERSION, KDF_ARGON2ID]);
        put(&self.kdf.m_cost_kib.to_le_bytes());
        put(&self.kdf.t_cost.to_le_bytes());
        put(&self.kdf.p_cost.to_le_bytes());
        put(&self.salt);
        put(&self.prefix);
        put(&self.chunk_size.to_le_bytes());
        put(&self.plain_len.to_le_bytes());
        put(&self.key_check);
        let checksum = crypto::sha256(&out[..CHECKED_LEN]);
        out[CHECKED_LEN..].copy_from_slice(&checksum);
        out
    }

    /// Parses a header whose magic, version and checksum were checked;
    /// the error says which field is unusable.
    fn parse(bytes: &[u8; HEADER_LEN]) -> Result<Self, String> {
        let mut at = MAGIC.len() + 1;
        let mut take = |n: usize| {
            let field = &bytes[at..at + n];
            at += n;
            field
        };
        let kdf_id = take(1)[0];
        let u32_at = |b: &[u8]| u32::from_le_bytes(b.try_into().unwrap_or_default());
        let (m, t, p) = (u32_at(take(4)), u32_at(take(4)), u32_at(take(4)));
        let header = Self {
            kdf: KdfParams {
                m_cost_kib: m,
                t_cost: t,
                p_cost: p,
            },
            salt: take(SALT_LEN).try_into().unwrap_or_default(),
            prefix: take(PREFIX_LEN).try_into().unwrap_or_default(),
            chunk_size: u32_at(take(4)),
            plain_len: u64::from_le_bytes(take(8).try_into().unwrap_or_default()),
            key_check: take(32).try_into().unwrap_or_default(),
        };
        if kdf_id != KDF_ARGON2ID {
            return Err(format!(
                "its header names an unknown key derivation ({kdf_id})"
            ));
        }
        if !(MIN_CHUNK_SIZE..=MAX_CHUNK_SIZE).contains(&header.chunk_size) {
            return Err(format!(
                "its header gives a chunk size of {} bytes, outside the accepted \
                 {MIN_CHUNK_SIZE}..={MAX_CHUNK_SIZE}",
                header.chunk_size
            ));
        }
        Ok(header)
    }

    /// How many chunks the plaintext takes (at least one).
    fn chunk_count(&self) -> u64 {
        self.plain_len.div_ceil(u64::from(self.chunk_size)).max(1)
    }

    /// Plaintext bytes in chunk `index`.
    fn chunk_len(&self, index: u64) -> usize {
        let before = index * u64::from(self.chunk_size);
        let left = self.plain_len.saturating_sub(before);
        left.min(u64::from(self.chunk_size)) as usize
    }
}

/// The two keys one passphrase gives.
struct Keys {
    chunk: Key256,
    check: Key256,
}

impl Keys {
    fn derive(
        passphrase: &SecretString,
        salt: &[u8],
        params: &KdfParams,
    ) -> Result<Self, KdfError> {
        let stretched = kdf::stretch_passphrase(passphrase, salt, params)?;
        Ok(Self {
            chunk: crypto::hkdf_subkey(stretched.expose(), CHUNK_KEY_INFO),
            check: crypto::hkdf_subkey(stretched.expose(), CHECK_KEY_INFO),
        })
    }

    fn key_check(&self) -> [u8; 32] {
        crypto::verifier(&self.check, KEY_CHECK_LABEL)
    }
}

/// The nonce of chunk `index`.
fn nonce(prefix: &[u8; PREFIX_LEN], index: u64, last: bool) -> [u8; NONCE_LEN] {
    let mut nonce = [0u8; NONCE_LEN];
    nonce[..PREFIX_LEN].copy_from_slice(prefix);
    nonce[PREFIX_LEN..NONCE_LEN - 1].copy_from_slice(&index.to_be_bytes());
    nonce[NONCE_LEN - 1] = u8::from(last);
    nonce
}

/// The files a stream comes from and goes to, for error messages.
struct Names<'a> {
    input: &'a Path,
    output: &'a Path,
}

/// Encrypts the finished archive `plain` into `out`, an open empty file
/// at `out_path`, and syncs it. Returns the encrypted size in bytes.
pub fn seal_file(
    plain: &Path,
    out: &File,
    out_path: &Path,
    passphrase: &SecretString,
    params: &KdfParams,
) -> Result<u64, SealedError> {
    let source = open_regular(plain)?;
    let plain_len = source
        .metadata()
        .map_err(|e| FileError::io(plain, "inspect", e))?
        .len();
    let names = Names {
        input: plain,
        output: out_path,
    };
    let mut writer = BufWriter::new(out);
    let size = seal_stream(
        source,
        plain_len,
        &mut writer,
        passphrase,
        params,
        DEFAULT_CHUNK_SIZE,
        &names,
    )?;
    let write_err = |e: io::Error| FileError::io(out_path, "write", e);
    writer.flush().map_err(write_err)?;
    out.sync_all().map_err(write_err)?;
    Ok(size)
}

/// Encrypts exactly `plain_len` bytes of `input` into `output`.
fn seal_stream(
    mut input: impl Read,
    plain_len: u64,
    mut output: impl Write,
    passphrase: &SecretString,
    params: &KdfParams,
    chunk_size: u32,
    names: &Names<'_>,
) -> Result<u64, SealedError> {
    if passphrase.is_empty() {
        return Err(SealedError::EmptyPassphrase);
    }
    let salt: [u8; SALT_LEN] = crypto::random_array();
    let keys = Keys::derive(passphrase, &salt, params).map_err(|source| SealedError::Kdf {
        path: names.output.to_path_buf(),
        source,
    })?;
    let header = Header {
        kdf: *params,
        salt,
        prefix: crypto::random_array(),
        chunk_size,
        plain_len,
        key_check: keys.key_check(),
    };
    let header_bytes = header.to_bytes();
    let write_err = |e: io::Error| FileError::io(names.output, "write", e);
    output.write_all(&header_bytes).map_err(write_err)?;
    let mut written = HEADER_LEN as u64;

    let changed = || SealedError::SourceChanged {
        path: names.input.to_path_buf(),
    };
    let mut buffer = zeroize::Zeroizing::new(vec![0u8; chunk_size as usize]);
    let count = header.chunk_count();
    for index in 0..count {
        let chunk = &mut buffer[..header.chunk_len(index)];
        if read_full(&mut input, chunk, names.input)? < chunk.len() {
            return Err(changed());
        }
        let last = index + 1 == count;
        let sealed = crypto::seal_with_nonce(
            &keys.chunk,
            &nonce(&header.prefix, index, last),
            &header_bytes,
            chunk,
        );
        output.write_all(&sealed).map_err(write_err)?;
        written += sealed.len() as u64;
    }
    // The source must end where its length said it would.
    if read_full(&mut input, &mut [0u8; 1], names.input)? != 0 {
        return Err(changed());
    }
    Ok(written)
}

/// Decrypts the encrypted archive at `sealed` into `output` (a file at
/// `out_path`). Returns the plaintext size. On error, whatever was written
/// must be thrown away.
pub fn open_file(
    sealed: &Path,
    output: impl Write,
    out_path: &Path,
    passphrase: &SecretString,
) -> Result<u64, SealedError> {
    let input = io::BufReader::new(open_regular(sealed)?);
    let names = Names {
        input: sealed,
        output: out_path,
    };
    open_stream(input, output, passphrase, &names)
}

/// Checks the header, the passphrase and every chunk, writing each chunk's
/// plaintext once it authenticated.
fn open_stream(
    mut input: impl Read,
    mut output: impl Write,
    passphrase: &SecretString,
    names: &Names<'_>,
) -> Result<u64, SealedError> {
    let path = || names.input.to_path_buf();
    let damaged = |detail: String| SealedError::Damaged {
        path: path(),
        detail,
    };
    let truncated = |detail: String| SealedError::Truncated {
        path: path(),
        detail,
    };

    let mut header_bytes = [0u8; HEADER_LEN];
    let got = read_full(&mut input, &mut header_bytes, names.input)?;
    let magic_len = got.min(MAGIC.len());
    if got == 0 || header_bytes[..magic_len] != MAGIC[..magic_len] {
        return Err(SealedError::NotSealed { path: path() });
    }
    if got < HEADER_LEN {
        return Err(truncated(format!(
            "it ends inside its header, after {got} of {HEADER_LEN} bytes"
        )));
    }
    let version = header_bytes[MAGIC.len()];
    if version != FORMAT_VERSION {
        return Err(SealedError::NewerFormat {
            path: path(),
            version,
        });
    }
    let checksum = crypto::sha256(&header_bytes[..CHECKED_LEN]);
    if !crypto::ct_eq(&checksum, &header_bytes[CHECKED_LEN..]) {
        return Err(damaged("its header does not match its checksum".to_owned()));
    }
    let header = Header::parse(&header_bytes).map_err(damaged)?;
    let k = header.kdf;
    let params = KdfParams::new(k.m_cost_kib, k.t_cost, k.p_cost)
        .and_then(|p| kdf::check_file_work(&p).map(|()| p))
        .map_err(|e| SealedError::RefusedKdf {
            path: path(),
            detail: e.to_string(),
        })?;

    let keys =
        Keys::derive(passphrase, &header.salt, &params).map_err(|source| SealedError::Kdf {
            path: path(),
            source,
        })?;
    if !crypto::ct_eq(&keys.key_check(), &header.key_check) {
        return Err(SealedError::WrongPassphrase { path: path() });
    }

    let write_err = |e: io::Error| FileError::io(names.output, "write", e);
    let count = header.chunk_count();
    let mut record = vec![0u8; header.chunk_size as usize + TAG_LEN];
    for index in 0..count {
        let (number, want) = (index + 1, header.chunk_len(index) + TAG_LEN);
        let got = read_full(&mut input, &mut record[..want], names.input)?;
        if got == 0 {
            return Err(truncated(format!(
                "it ends after {index} of its {count} chunks"
            )));
        }
        if got < want {
            return Err(truncated(format!(
                "it ends inside chunk {number} of {count} ({got} of {want} bytes)"
            )));
        }
        let last = index + 1 == count;
        let plain = crypto::open_with_nonce(
            &keys.chunk,
            &nonce(&header.prefix, index, last),
            &header_bytes,
            &record[..want],
        )
        .map_err(|_| {
            damaged(format!(
                "chunk {number} of {count} fails its integrity check (it was changed, or chunks \
                 were reordered or repeated)"
            ))
        })?;
        output.write_all(&plain).map_err(write_err)?;
    }
    if read_full(&mut input, &mut [0u8; 1], names.input)? != 0 {
        return Err(damaged(
            "data follows its final chunk (something was appended to the file)".to_owned(),
        ));
    }
    output.flush().map_err(write_err)?;
    Ok(header.plain_len)
}

/// Reads until `buf` is full or the input ends; returns the bytes read.
fn read_full(input: &mut impl Read, buf: &mut [u8], name: &Path) -> Result<usize, FileError> {
    let mut filled = 0;
    while filled < buf.len() {
        match input.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(FileError::io(name, "read", e)),
        }
    }
    Ok(filled)
}

/// Opens a regular file for reading, refusing links and special files.
fn open_regular(path: &Path) -> Result<File, FileError> {
    let meta = std::fs::symlink_metadata(path).map_err(|e| FileError::io(path, "inspect", e))?;
    fsio::check_regular(path, &meta)?;
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)
        .map_err(|e| FileError::io(path, "open", e))
}

/// Whether the file at `path` begins like an encrypted backup.
pub fn has_magic(path: &Path) -> bool {
    let Ok(mut file) = open_regular(path) else {
        return false;
    };
    let mut head = [0u8; MAGIC.len()];
    matches!(read_full(&mut file, &mut head, path), Ok(n) if n == MAGIC.len()) && &head == MAGIC
}

/// The plain zip of an encrypted backup, decrypted into a private
/// temporary directory that is removed (with the zip) when this is dropped.
#[derive(Debug)]
pub struct DecryptedArchive {
    dir: tempfile::TempDir,
    zip: PathBuf,
    size: u64,
}

impl DecryptedArchive {
    /// The decrypted zip (inside the private directory).
    pub fn zip_path(&self) -> &Path {
        &self.zip
    }

    /// The decrypted zip's size in bytes.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The private directory holding the zip (mode 0700).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

/// The name of the decrypted zip inside its private directory; never a
/// name taken from the archive.
const DECRYPTED_NAME: &str = "backup.zip";

/// Decrypts the encrypted backup at `path` with `passphrase` into a new
/// private temporary directory (mode 0700). Nothing is left behind when
/// it fails.
pub fn decrypt_to_temp(
    path: &Path,
    passphrase: &SecretString,
) -> Result<DecryptedArchive, SealedError> {
    let temp = std::env::temp_dir();
    let dir = tempfile::Builder::new()
        .prefix("spm-decrypt-")
        .permissions(std::fs::Permissions::from_mode(fsio::DIR_MODE))
        .tempdir_in(&temp)
        .map_err(|e| FileError::io(&temp, "create a private directory in", e))?;
    let zip = dir.path().join(DECRYPTED_NAME);
    let file = fsio::create_new_private(&zip)?;
    let size = open_file(path, BufWriter::new(file), &zip, passphrase)?;
    Ok(DecryptedArchive { dir, zip, size })
}

#[cfg(test)]
mod tests;
