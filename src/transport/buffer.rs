//! A connection's read buffer: bytes read and not yet consumed. Wiped as it
//! is consumed and when dropped (answers carry tokens).


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
            let len = self.bytes.len().max(READ_CHUNK) * 2;
            move_wiping(&mut self.bytes, len);
            self.bytes.resize(len, 0);
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
        crate::secret::wipe(&mut self.bytes[self.filled..old]);
    }
}

/// Append `data` to `v` like `extend_from_slice`, but when `v` must grow,
/// move it to a new allocation by hand and wipe the old one (a plain
/// reallocation would free a copy of what it held: answers carry tokens).
pub(crate) fn extend_wiping(v: &mut Vec<u8>, data: &[u8]) {
    let needed = v.len() + data.len();
    if needed > v.capacity() {
        move_wiping(v, needed.max(v.capacity() * 2).max(256));
    }
    v.extend_from_slice(data);
}

/// Move `v` to a new allocation of `capacity` bytes and wipe the old one:
/// growing a buffer that holds tokens by reallocation would free an
/// unwiped copy of them.
fn move_wiping(v: &mut Vec<u8>, capacity: usize) {
    let mut grown = Vec::with_capacity(capacity);
    grown.extend_from_slice(v);
    std::mem::swap(v, &mut grown);
    crate::secret::wipe_vec(&mut grown);
}

impl Drop for ReadBuf {
    fn drop(&mut self) {
        crate::secret::wipe_vec(&mut self.bytes);
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
        assert_eq!(b.data()[..2], *b"et", "and keeps its data");
    }

    #[test]
    fn extend_wiping_keeps_order() {
        let mut v = Vec::new();
        for chunk in [&b"ab"[..], &[b'c'; 300], b"d"] {
            extend_wiping(&mut v, chunk);
        }
        assert_eq!(v.len(), 303);
        assert_eq!((&v[..3], v[302]), (&b"abc"[..], b'd'));
    }
}
