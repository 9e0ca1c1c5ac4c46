//! The reader's buffering rules (spec/eco.md 10.1-10.4) as plain Rust over a [`Source`]: line
//! splitting, `readuntil` across chunk boundaries, leftovers and the EOF flag. No Lua here; the
//! reader pushes what these return.

/// Why a read produced no bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadErr {
    /// Nothing now: wait for readability and try again.
    Again,
    /// The read fails with this message.
    Failed(String),
}

/// Where the bytes come from (a descriptor, a native hook, or a script in tests).
pub trait Source {
    /// Reads at most `dst.len()` bytes; `Ok(0)` is end of stream.
    fn read(&mut self, dst: &mut [u8]) -> Result<usize, ReadErr>;
}

/// Outcome of one read attempt, with the EOF flag applied.
#[derive(Debug, PartialEq, Eq)]
pub enum Fill {
    Data(usize),
    /// End of stream; carries whether the EOF flag was already set.
    Eof(bool),
    Again,
    Err(String),
}

/// Outcome of an operation.
#[derive(Debug, PartialEq, Eq)]
pub enum Step<T> {
    Ready(T),
    /// End of stream before the request was satisfied.
    Eof,
    Failed(String),
    /// Wait for readability, then call the same operation again (progress is kept).
    Again,
}

impl Fill {
    /// The outcome of a direct read (the byte count on success).
    pub fn into_step(self) -> Step<usize> {
        match self {
            Fill::Data(k) => Step::Ready(k),
            Fill::Eof(_) => Step::Eof,
            Fill::Again => Step::Again,
            Fill::Err(e) => Step::Failed(e),
        }
    }
}

impl<T> Step<T> {
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Step<U> {
        match self {
            Step::Ready(v) => Step::Ready(f(v)),
            Step::Eof => Step::Eof,
            Step::Failed(e) => Step::Failed(e),
            Step::Again => Step::Again,
        }
    }
}

pub struct Buf {
    buf: Box<[u8]>,
    r: usize,
    w: usize,
    /// The EOF flag of spec/eco.md 10.4: set by a read at end of stream, cleared by data.
    eof: bool,
    /// A line or block collected across reads (kept while an operation waits).
    acc: Vec<u8>,
    /// `acc` holds the result handed out last: cleared when the next operation starts.
    acc_out: bool,
}

impl Buf {
    pub fn new(size: usize) -> Buf {
        Buf {
            buf: vec![0u8; size].into_boxed_slice(),
            r: 0,
            w: 0,
            eof: false,
            acc: Vec::new(),
            acc_out: false,
        }
    }

    pub fn buffered(&self) -> usize {
        self.w - self.r
    }

    pub fn capacity(&self) -> usize {
        self.buf.len()
    }

    /// Forgets a partly collected result (a new call, or a failed wait).
    pub fn reset(&mut self) {
        self.acc.clear();
        self.acc_out = false;
    }

    fn begin(&mut self) {
        if self.acc_out {
            self.reset();
        }
    }

    /// Applies the EOF rules to the result of a read of `len` requested bytes.
    pub fn note(&mut self, r: Result<usize, ReadErr>) -> Fill {
        match r {
            Ok(0) => Fill::Eof(std::mem::replace(&mut self.eof, true)),
            Ok(n) => {
                self.eof = false;
                Fill::Data(n)
            }
            Err(ReadErr::Again) => Fill::Again,
            Err(ReadErr::Failed(e)) => Fill::Err(e),
        }
    }

    /// Refills the buffer after what it holds (compacting it first).
    pub fn fill(&mut self, src: &mut impl Source) -> Fill {
        if self.r > 0 {
            self.buf.copy_within(self.r..self.w, 0);
            self.w -= self.r;
            self.r = 0;
        }
        let r = src.read(&mut self.buf[self.w..]);
        let f = self.note(r);
        if let Fill::Data(n) = f {
            self.w += n;
        }
        f
    }

    /// Up to `n` buffered bytes (`None` when the buffer is empty: read directly).
    pub fn take(&mut self, n: usize) -> Option<&[u8]> {
        if self.r == self.w {
            return None;
        }
        let k = n.min(self.buffered());
        self.r += k;
        Some(&self.buf[self.r - k..self.r])
    }

    /// The buffered bytes, not consumed (`reader:peek`).
    pub fn bytes(&self) -> &[u8] {
        &self.buf[self.r..self.w]
    }

    /// Grows the buffer to hold at least `n` bytes (at least doubling it, at most `max`), keeping
    /// the buffered bytes (moved to its start).
    pub fn grow(&mut self, n: usize, max: usize) {
        let cap = n.max(self.buf.len().saturating_mul(2)).min(max);
        if cap <= self.buf.len() {
            return;
        }
        let mut nb = vec![0u8; cap].into_boxed_slice();
        let have = self.buffered();
        nb[..have].copy_from_slice(&self.buf[self.r..self.w]);
        self.buf = nb;
        self.r = 0;
        self.w = have;
    }

    /// Drops up to `n` buffered bytes (`reader:skip`); returns how many. A buffer grown beyond
    /// `size` goes back to it once emptied.
    pub fn skip(&mut self, n: usize, size: usize) -> usize {
        let k = n.min(self.buffered());
        self.r += k;
        if self.r == self.w {
            self.r = 0;
            self.w = 0;
            if self.buf.len() > size {
                self.buf = vec![0u8; size].into_boxed_slice();
            }
        }
        k
    }

    /// One read of at most `n` (<= capacity) bytes into the empty buffer, returned at once.
    pub fn read_direct(&mut self, n: usize, src: &mut impl Source) -> Step<&[u8]> {
        self.r = 0;
        self.w = 0;
        let n = n.min(self.buf.len());
        let r = src.read(&mut self.buf[..n]);
        match self.note(r) {
            Fill::Data(k) => Step::Ready(&self.buf[..k]),
            Fill::Eof(_) => Step::Eof,
            Fill::Again => Step::Again,
            Fill::Err(e) => Step::Failed(e),
        }
    }

    fn collect(&mut self) {
        self.acc.extend_from_slice(&self.buf[self.r..self.w]);
        self.r = 0;
        self.w = 0;
    }

    fn fail(&mut self, f: Fill) -> Step<&[u8]> {
        self.reset();
        match f {
            Fill::Err(e) => Step::Failed(e),
            _ => Step::Eof,
        }
    }

    fn out(&mut self) -> Step<&[u8]> {
        self.acc_out = true;
        Step::Ready(&self.acc)
    }

    /// The next line, without its terminator (`\n` or `\r\n`) unless `keep`.
    pub fn line(&mut self, keep: bool, src: &mut impl Source) -> Step<&[u8]> {
        self.begin();
        loop {
            if let Some(p) = self.buf[self.r..self.w].iter().position(|&c| c == b'\n') {
                let end = self.r + p + 1;
                self.acc.extend_from_slice(&self.buf[self.r..end]);
                self.r = end;
                if !keep {
                    self.acc.pop();
                    if self.acc.last() == Some(&b'\r') {
                        self.acc.pop();
                    }
                }
                return self.out();
            }
            self.collect();
            match self.fill(src) {
                Fill::Data(_) => {}
                Fill::Again => return Step::Again,
                f => return self.fail(f),
            }
        }
    }

    /// Everything until end of stream (spec/eco.md 10.4 for a stream already at its end).
    pub fn all(&mut self, src: &mut impl Source) -> Step<&[u8]> {
        self.begin();
        loop {
            self.collect();
            match self.fill(src) {
                Fill::Data(_) => {}
                Fill::Again => return Step::Again,
                Fill::Eof(was) if !(was && self.acc.is_empty()) => return self.out(),
                f => return self.fail(f),
            }
        }
    }

    /// Exactly `size` bytes.
    pub fn full(&mut self, size: usize, src: &mut impl Source) -> Step<&[u8]> {
        self.begin();
        loop {
            let k = (size - self.acc.len()).min(self.buffered());
            self.acc.extend_from_slice(&self.buf[self.r..self.r + k]);
            self.r += k;
            if self.acc.len() == size {
                return self.out();
            }
            match self.fill(src) {
                Fill::Data(_) => {}
                Fill::Again => return Step::Again,
                f => return self.fail(f),
            }
        }
    }

    /// The bytes before `needle` and `true`, or a partial chunk and `false` (spec/eco.md 10.3).
    pub fn until(&mut self, needle: &[u8], src: &mut impl Source) -> Step<(&[u8], bool)> {
        debug_assert!(!needle.is_empty() && needle.len() < self.buf.len());
        self.begin();
        loop {
            let data = &self.buf[self.r..self.w];
            if let Some(p) = data.windows(needle.len()).position(|w| w == needle) {
                let start = self.r;
                self.r += p + needle.len();
                return Step::Ready((&self.buf[start..start + p], true));
            }
            if data.len() > needle.len() {
                let k = data.len() - needle.len() + 1;
                self.r += k;
                return Step::Ready((&self.buf[self.r - k..self.r], false));
            }
            match self.fill(src) {
                Fill::Data(_) => {}
                Fill::Again => return Step::Again,
                Fill::Eof(_) if self.buffered() > 0 => {
                    let start = self.r;
                    self.r = self.w;
                    return Step::Ready((&self.buf[start..self.w], false));
                }
                Fill::Eof(_) => return Step::Eof,
                Fill::Err(e) => return Step::Failed(e),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peek_grow_and_skip() {
        let mut b = Buf::new(4);
        let mut src = s(&[Some(b"abcd"), Some(b"efgh")]);
        assert!(matches!(b.fill(&mut src), Fill::Data(4)));
        assert_eq!(b.bytes(), b"abcd");
        b.grow(6, 1 << 20);
        assert_eq!((b.capacity(), b.bytes()), (8, &b"abcd"[..]));
        assert!(matches!(b.fill(&mut src), Fill::Data(4)));
        assert_eq!(b.bytes(), b"abcdefgh");
        assert_eq!(b.skip(3, 4), 3);
        assert_eq!(b.bytes(), b"defgh");
        assert_eq!(b.capacity(), 8, "not shrunk while bytes remain");
        assert_eq!(b.skip(100, 4), 5);
        assert_eq!((b.bytes(), b.capacity()), (&b""[..], 4));
        b.grow(10, 6);
        assert_eq!(b.capacity(), 6, "growth stops at the bound");
    }

    /// Serves scripted reads: chunks of data, `None` for EAGAIN, an empty chunk for EOF.
    struct Script(Vec<Option<&'static [u8]>>);

    impl Source for Script {
        fn read(&mut self, dst: &mut [u8]) -> Result<usize, ReadErr> {
            if self.0.is_empty() {
                return Ok(0);
            }
            match self.0[0] {
                None => {
                    self.0.remove(0);
                    Err(ReadErr::Again)
                }
                Some(b) => {
                    let n = b.len().min(dst.len());
                    dst[..n].copy_from_slice(&b[..n]);
                    if n == b.len() {
                        self.0.remove(0);
                    } else {
                        self.0[0] = Some(&b[n..]);
                    }
                    Ok(n)
                }
            }
        }
    }

    fn s(v: &[Option<&'static [u8]>]) -> Script {
        Script(v.to_vec())
    }

    fn ready<T: std::fmt::Debug>(st: Step<T>) -> T {
        match st {
            Step::Ready(v) => v,
            other => panic!("expected data, got {other:?}"),
        }
    }

    #[test]
    fn mixed_formats_share_one_buffer() {
        // checklist 22
        let mut src = s(&[Some(b"hello\nworld\r\nbyeENDtail")]);
        let mut b = Buf::new(4096);
        assert_eq!(ready(b.line(false, &mut src)), b"hello");
        assert_eq!(ready(b.line(true, &mut src)), b"world\r\n");
        assert_eq!(ready(b.until(b"END", &mut src)), (&b"bye"[..], true));
        assert_eq!(b.take(4), Some(&b"tail"[..]));
        assert_eq!(b.take(4), None);
    }

    #[test]
    fn lines_span_chunks_and_waits_and_a_split_crlf() {
        let mut src = s(&[Some(b"ab"), None, Some(b"c\r"), Some(b"\nde\n")]);
        let mut b = Buf::new(4096);
        assert_eq!(b.line(false, &mut src), Step::Again);
        assert_eq!(ready(b.line(false, &mut src)), b"abc");
        assert_eq!(ready(b.line(false, &mut src)), b"de");
        assert_eq!(b.line(false, &mut src), Step::Eof);
    }

    #[test]
    fn lines_longer_than_the_buffer() {
        let mut src = s(&[Some(b"0123456789"), Some(b"abcdef\nrest")]);
        let mut b = Buf::new(4);
        assert_eq!(ready(b.line(true, &mut src)), b"0123456789abcdef\n");
        // the leftover of the last chunk read is what is buffered
        assert_eq!(b.take(100), Some(&b"r"[..]));
        assert_eq!(ready(b.read_direct(100, &mut src)), b"est");
    }

    #[test]
    fn an_unterminated_last_line_is_discarded_at_eof() {
        // checklist 23
        let mut src = s(&[Some(b"def")]);
        let mut b = Buf::new(4096);
        assert_eq!(b.line(false, &mut src), Step::Eof);
        assert_eq!(b.all(&mut src), Step::Eof, "the EOF flag is set");
    }

    #[test]
    fn readuntil_keeps_a_possible_needle_prefix() {
        // checklist 24: "abcd", pause, "EFENDtail"
        let mut src = s(&[Some(b"abcd"), None, Some(b"EFENDtail")]);
        let mut b = Buf::new(4096);
        assert_eq!(ready(b.until(b"END", &mut src)), (&b"ab"[..], false));
        assert_eq!(b.until(b"END", &mut src), Step::Again);
        assert_eq!(ready(b.until(b"END", &mut src)), (&b"cdEF"[..], true));
        assert_eq!(ready(b.full(4, &mut src)), b"tail");
    }

    #[test]
    fn readuntil_at_eof_returns_the_rest_then_eof() {
        // checklist 27
        let mut src = s(&[Some(b"abc")]);
        let mut b = Buf::new(4096);
        assert_eq!(ready(b.until(b"ZZZZZ", &mut src)), (&b"abc"[..], false));
        assert_eq!(b.until(b"ZZZZZ", &mut src), Step::Eof);
        assert_eq!(b.all(&mut src), Step::Eof);
    }

    #[test]
    fn readuntil_finds_a_needle_split_over_a_full_buffer() {
        let mut src = s(&[Some(b"xxxxxxE"), Some(b"NDyy")]);
        let mut b = Buf::new(8);
        let mut got = Vec::new();
        loop {
            let (chunk, found) = ready(b.until(b"END", &mut src));
            got.extend_from_slice(chunk);
            if found {
                break;
            }
        }
        assert_eq!(got, b"xxxxxx");
        assert_eq!(b.take(10), Some(&b"yy"[..]));
    }

    #[test]
    fn full_collects_across_reads_and_keeps_the_leftover() {
        // checklist 25
        let mut src = s(&[Some(b"abc"), None, Some(b"defxyz")]);
        let mut b = Buf::new(4096);
        assert_eq!(b.full(6, &mut src), Step::Again);
        assert_eq!(ready(b.full(6, &mut src)), b"abcdef");
        assert_eq!(ready(b.all(&mut src)), b"xyz");
        assert_eq!(b.all(&mut src), Step::Eof);
    }

    #[test]
    fn full_fails_at_eof_and_discards() {
        let mut src = s(&[Some(b"abc")]);
        let mut b = Buf::new(4096);
        assert_eq!(b.full(5, &mut src), Step::Eof);
        assert_eq!(b.buffered(), 0);
    }

    #[test]
    fn all_on_an_exhausted_stream_is_empty_once() {
        // checklist 26
        let mut src = s(&[]);
        let mut b = Buf::new(4096);
        assert_eq!(ready(b.all(&mut src)), b"");
        assert_eq!(b.all(&mut src), Step::Eof);
        // data after EOF (a growing file) clears the flag
        let mut more = s(&[Some(b"new")]);
        assert_eq!(ready(b.all(&mut more)), b"new");
    }

    #[test]
    fn direct_reads_and_errors() {
        let mut b = Buf::new(8);
        let mut src = s(&[Some(b"0123456789")]);
        assert_eq!(ready(b.read_direct(100, &mut src)), b"01234567");
        assert_eq!(ready(b.read_direct(100, &mut src)), b"89");
        assert_eq!(b.read_direct(1, &mut src), Step::Eof);
        struct Broken;
        impl Source for Broken {
            fn read(&mut self, _: &mut [u8]) -> Result<usize, ReadErr> {
                Err(ReadErr::Failed("boom".into()))
            }
        }
        assert_eq!(b.line(false, &mut Broken), Step::Failed("boom".into()));
        assert_eq!(b.until(b"x", &mut Broken), Step::Failed("boom".into()));
    }
}
