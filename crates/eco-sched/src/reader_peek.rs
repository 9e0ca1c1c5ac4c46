//! `reader:peek` and `reader:skip` (docs/reader.md): the reader's buffer as a parse buffer.
//! Bodies share the `# Safety` contract of `io.rs`.
//!
//! A parser above the reader (the HTTP head and chunked-body parsers, eco.bufio) looks at the
//! buffered bytes with `peek`, which reads only when fewer than asked for are buffered, and
//! consumes what it parsed with `skip`. The bytes it did not consume stay in the reader, where
//! `read`/`readfull`/`readuntil` find them: there is no second buffer above the reader.

use std::ffi::c_int;

use crate::buffer::Fill;
use crate::io::{check_obj, closed_err, eof_text};
use crate::lua::{self, arg, check_integer, fail, ffi, opt_timeout, push_bytes, Ret, State, R};
use crate::reader::{Reader, BUF_SIZE};
use crate::sys;

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
///
/// # Safety
/// `l` is the running state of the method.
unsafe fn save_state(l: State, resumed: bool, seen: usize) {
    // SAFETY: the contract; slots 1-4 are the arguments (padded by settop).
    unsafe {
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

/// `reader:peek(n[, timeout[, delim]])`: all the buffered bytes, not consumed, once at least
/// `n` are buffered, or (with `delim`) once a read brought `delim`. `timeout` bounds the whole
/// call.
///
/// # Safety
/// See `io.rs`.
pub(crate) unsafe fn peek_impl(l: State, resumed: bool) -> R {
    // SAFETY: the contract of `io.rs`.
    unsafe {
        let rd = check_obj::<Reader>(l)?;
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
        if let Some(r) = rd.prologue(l, resumed)? {
            if matches!(r, Ret::Yield) {
                // the fairness yield: the continuation finds its state as after any wait
                save_state(l, resumed, rd.buf.buffered());
            }
            return Ok(r);
        }
        // (first call: the timeout starts at the first wait, and no bytes were searched yet)
        let (deadline, mut seen) = if resumed {
            (
                ffi::lua_tointeger(l, DEADLINE),
                ffi::lua_tointeger(l, SEEN) as usize,
            )
        } else {
            (0, rd.buf.buffered())
        };
        // a wait entered on the short-read hint timed out: one read decides
        let mut timed_out = std::mem::take(&mut rd.hinted);
        loop {
            let have = rd.buf.buffered();
            if have >= n || delim.is_some_and(|d| found_after(rd.buf.bytes(), seen, d)) {
                push_bytes(l, rd.buf.bytes());
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
            if !(rd.input.drained && left != 0 && ffi::lua_isyieldable(l) != 0) {
                if rd.buf.capacity() < n {
                    rd.buf.grow(n, MAX_PEEK as usize);
                }
                match rd.buf.fill(&mut rd.input) {
                    Fill::Data(_) => {
                        timed_out = false;
                        continue;
                    }
                    Fill::Eof(_) => return Ok(fail(l, eof_text(rd.base.fd))),
                    Fill::Err(e) => return Ok(fail(l, &e)),
                    Fill::Again if timed_out || left == 0 => return Ok(fail(l, "timeout")),
                    Fill::Again => {}
                }
            } else {
                rd.input.drained = false;
                rd.hinted = true;
            }
            save_state(l, resumed, seen);
            return match rd.wait_readable(l, left) {
                Ok(r) => Ok(r),
                Err(r) => {
                    rd.hinted = false;
                    Err(r)
                }
            };
        }
    }
}

/// `reader:skip(n)`: drops up to `n` buffered bytes (never reads); returns how many.
///
/// # Safety
/// See `io.rs`.
pub(crate) unsafe fn skip_impl(l: State, _resumed: bool) -> R {
    // SAFETY: the contract of `io.rs`.
    unsafe {
        let rd = check_obj::<Reader>(l)?;
        if rd.base.closed {
            return Err(closed_err());
        }
        let n = check_integer(l, 2)?;
        if n < 0 {
            return Err(arg(2, "size must be greater than or equal to 0"));
        }
        // a buffer grown for one large head goes back to the default size once emptied
        let k = rd
            .buf
            .skip(usize::try_from(n).unwrap_or(usize::MAX), BUF_SIZE);
        ffi::lua_pushinteger(l, k as ffi::lua_Integer);
        Ok(Ret::N(1))
    }
}
