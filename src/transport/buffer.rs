//! A connection's read buffer: bytes read and not yet consumed. Wiped as it
//! is consumed and when dropped (answers carry tokens).

use zeroize::Zeroize;

/// How much a read asks for at least.
const READ_CHUNK: usize = 8 * 1024;

pub(crate) struct ReadBuf {
    /// `bytes[..filled]` is unconsumed data; the rest is zeroed spare room
    /// (kept initialised, so reads need no zeroing).
    bytes: Vec<u8>,
    filled: usize,
}

impl ReadBuf {
    pub(crate) fn new() -> ReadBuf {
        ReadBuf { bytes: vec![0; READ_CHUNK], filled: 0 }
    }

    /// The unconsumed bytes.
    pub(crate) fn data(&self) -> &[u8] {
        &self.bytes[..self.filled]
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.filled == 0
    }

    /// Room to read into (grown when full); report what was read with
    /// [`ReadBuf::filled`].
    pub(crate) fn spare(&mut self) -> &mut [u8] {
        if self.filled == self.bytes.len() {
            let grown = self.bytes.len().max(READ_CHUNK) * 2;
            self.bytes.resize(grown, 0);
        }
        &mut self.bytes[self.filled..]
    }

    /// `n` more bytes were read into [`ReadBuf::spare`].
    pub(crate) fn filled(&mut self, n: usize) {
        self.filled = (self.filled + n).min(self.bytes.len());
    }

    /// Drop the first `n` unconsumed bytes.
    pub(crate) fn consume(&mut self, n: usize) {
        let old = self.filled;
        self.bytes.copy_within(n..old, 0);
        self.filled = old - n;
        // Every byte of [0, old) is now live data or zero.
        self.bytes[self.filled..old].zeroize();
    }
}

impl Drop for ReadBuf {
    fn drop(&mut self) {
        self.bytes.zeroize();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn consume_keeps_the_rest_and_wipes_the_old() {
        let mut b = ReadBuf::new();
        b.spare()[..6].copy_from_slice(b"secret");
        b.filled(6);
        b.consume(4);
        assert_eq!(b.data(), b"et");
        assert!(b.bytes[2..].iter().all(|&x| x == 0));
        let room = b.spare().len();
        b.filled(room);
        assert!(!b.spare().is_empty(), "grows when full");
    }
}
