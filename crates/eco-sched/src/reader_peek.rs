//! `reader:peek` and `reader:skip` (docs/reader.md): the reader's buffer as a parse buffer.
//!
//! A parser above the reader (the HTTP head and chunked-body parsers, eco.bufio) looks at the
//! buffered bytes with `peek`, which reads only when fewer than asked for are buffered, and
//! consumes what it parsed with `skip`. The bytes it did not consume stay in the reader, where
//! `read`/`readfull`/`readuntil` find them: there is no second buffer above the reader.

use std::ffi::c_int;

use crate::io::{
    check_obj, closed_err, eof_text, read_prologue, wait_readable, Fill, Reader, BUF_SIZE, READER_T,
};
use crate::lua::{self, arg, check_integer, fail, ffi, opt_timeout, push_bytes, Ret, State};
use crate::{sys, R};

/// Largest `n` of `peek` (the buffer grows to hold it).
const MAX_PEEK: i64 = 1 << 30;
/// Longest delimiter, as for `readuntil`.
const MAX_DELIM: usize = 256;

// Stack slots kept across the waits of one call (the arguments stay below them); pushed only
// before the first yield, so a call that finds its bytes reads no clock and pushes nothing.
const DEADLINE: c_int = 5;
const SEEN: c_int = 6;
/// `DEADLINE` value: no timeout.
const NO_DEADLINE: i64 = -1;

/// Stores the state a continuation needs: the absolute deadline (computed from the `timeout`
/// argument on the first yield of the call) and how many buffered bytes were searched.
unsafe fn save_state(l: State, resumed: bool, seen: usize) {
    if resumed {
        ffi::lua_pushinteger(l, seen as ffi::lua_Integer);
        ffi::lua_replace(l, SEEN);
    } else {
        let timeout = opt_timeout(l, 3);
        let deadline = if timeout < 0 {
            NO_DEADLINE
        } else {
            sys::now_ns().saturating_add(timeout)
        };
        ffi::lua_settop(l, 4);
        ffi::lua_pushinteger(l, deadline);
        ffi::lua_pushinteger(l, seen as ffi::lua_Integer);
    }
}

/// Whether `delim` occurs in the bytes after the first `seen` of `data` (a match may start in
/// the last `delim.len() - 1` bytes that were seen).
fn found_after(data: &[u8], seen: usize, delim: &[u8]) -> bool {
    if data.len() <= seen {
        return false;
    }
    let from = seen.saturating_sub(delim.len() - 1);
    let tail = &data[from..];
    match delim {
        [b] => tail.contains(b),
        d => tail.windows(d.len()).any(|w| w == d),
    }
}

/// Grows the buffer to hold at least `n` bytes (at least doubling it), keeping the buffered
/// bytes (moved to its start).
fn grow(rd: &mut Reader, n: usize) {
    let cap = n.max(rd.buf.len().saturating_mul(2)).min(MAX_PEEK as usize);
    let mut nb = vec![0u8; cap].into_boxed_slice();
    let have = rd.buffered();
    nb[..have].copy_from_slice(&rd.buf[rd.r..rd.w]);
    rd.buf = nb;
    rd.r = 0;
    rd.w = have;
}

/// `reader:peek(n[, timeout[, delim]])`: all the buffered bytes, not consumed, once at least
/// `n` are buffered, or (with `delim`) once a read brought `delim`. `timeout` bounds the whole
/// call.
unsafe fn reader_peek_impl(l: State, resumed: bool) -> R {
    let rd = check_obj::<Reader>(l, READER_T, "eco{reader}")?;
    let n = check_integer(l, 2)?;
    if !(1..=MAX_PEEK).contains(&n) {
        return Err(arg(2, "size must be 1~1073741824"));
    }
    let n = n as usize;
    let delim = match ffi::lua_type(l, 4) {
        ffi::LUA_TNONE | ffi::LUA_TNIL => None,
        ffi::LUA_TSTRING => match lua::to_bytes(l, 4) {
            Some(d) if !d.is_empty() && d.len() <= MAX_DELIM => Some(d),
            _ => return Err(arg(4, "delimiter length must be 1~256 bytes")),
        },
        _ => {
            return Err(arg(
                4,
                format!("string expected, got {}", lua::type_name(l, 4)),
            ))
        }
    };
    if let Some(r) = read_prologue(l, rd, resumed, false)? {
        return Ok(match r {
            Ret::Yield(_) => {
                save_state(l, resumed, rd.buffered());
                Ret::Yield(Some(reader_peek_k))
            }
            r => r,
        });
    }
    // (first call: the timeout starts at the first wait, and no bytes were searched yet)
    let (deadline, mut seen) = if resumed {
        (
            ffi::lua_tointeger(l, DEADLINE),
            ffi::lua_tointeger(l, SEEN) as usize,
        )
    } else {
        (0, rd.buffered())
    };
    // a wait entered on the short-read hint timed out: one read decides
    let mut timed_out = std::mem::take(&mut rd.hinted);
    loop {
        let have = rd.buffered();
        if have >= n || delim.is_some_and(|d| found_after(&rd.buf[rd.r..rd.w], seen, d)) {
            push_bytes(l, &rd.buf[rd.r..rd.w]);
            return Ok(Ret::N(1));
        }
        seen = have;
        let left = if !resumed {
            // no wait yet in this call: the whole timeout is left
            opt_timeout(l, 3)
        } else if deadline == NO_DEADLINE {
            -1
        } else {
            (deadline - sys::now_ns()).max(0)
        };
        // after a short read of a stream, wait for readiness before reading (as `read` does)
        if !(rd.drained && left != 0 && ffi::lua_isyieldable(l) != 0) {
            if rd.buf.len() < n {
                grow(rd, n);
            }
            match rd.fill() {
                Fill::Data(_) => {
                    timed_out = false;
                    continue;
                }
                Fill::Eof(_) => return Ok(fail(l, eof_text(rd.fd))),
                Fill::Err(e) => return Ok(fail(l, &e)),
                Fill::Again if timed_out || left == 0 => return Ok(fail(l, "timeout")),
                Fill::Again => {}
            }
        } else {
            rd.drained = false;
            rd.hinted = true;
        }
        save_state(l, resumed, seen);
        if let Err(r) = wait_readable(l, rd, left) {
            rd.hinted = false;
            return Err(r);
        }
        return Ok(Ret::Yield(Some(reader_peek_k)));
    }
}
pub(crate) unsafe extern "C-unwind" fn reader_peek(l: State) -> c_int {
    crate::run(l, |l| reader_peek_impl(l, false))
}
unsafe extern "C-unwind" fn reader_peek_k(l: State, _st: c_int, _ctx: ffi::lua_KContext) -> c_int {
    crate::run(l, |l| reader_peek_impl(l, true))
}

/// `reader:skip(n)`: drops up to `n` buffered bytes (never reads); returns how many.
unsafe fn reader_skip_impl(l: State) -> R {
    let rd = check_obj::<Reader>(l, READER_T, "eco{reader}")?;
    if rd.closed {
        return Err(closed_err());
    }
    let n = check_integer(l, 2)?;
    if n < 0 {
        return Err(arg(2, "size must be greater than or equal to 0"));
    }
    let k = (n as u64).min(rd.buffered() as u64) as usize;
    rd.r += k;
    if rd.r == rd.w {
        rd.r = 0;
        rd.w = 0;
        // a buffer grown for one large head goes back to the default size
        if rd.buf.len() > BUF_SIZE {
            rd.buf = vec![0u8; BUF_SIZE].into_boxed_slice();
        }
    }
    ffi::lua_pushinteger(l, k as ffi::lua_Integer);
    Ok(Ret::N(1))
}
pub(crate) unsafe extern "C-unwind" fn reader_skip(l: State) -> c_int {
    crate::run(l, |l| reader_skip_impl(l))
}
