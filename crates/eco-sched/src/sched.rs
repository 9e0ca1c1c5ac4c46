//! The scheduler of one Lua state: waits, timers, ready queue, fd registry, resume and the loop.
//!
//! Parked coroutines are kept alive by registry references (`luaL_ref`); the structures here hold
//! only integers. A wait is named by a token (slot index + generation), so a stale event, timer or
//! cancel aimed at a wait that already ended is recognised and ignored.

use std::collections::VecDeque;
use std::ffi::{c_int, c_void};
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};

use eco_abi::{EcoAbi, WAIT_CANCELED, WAIT_PENDING, WAIT_TIMEOUT, WAIT_WOKEN};

use crate::handle::SchedRef;
use crate::lua::{ffi, push_str, State};
use crate::sys;
use crate::timer::TimerHeap;

pub const READ: u32 = libc::EPOLLIN as u32;
pub const WRITE: u32 = libc::EPOLLOUT as u32;
const WAKE_DATA: u64 = u64::MAX;
pub const DEFAULT_WATCHDOG_MS: i64 = 5000;
/// A coroutine running this long since its resume is made to yield before more reader/writer I/O.
pub const FAIRNESS_NS: i64 = 300_000_000;

// Signal flags are process-wide by nature; the loop that is running clears and reads them.
static SIGINT_SEEN: AtomicBool = AtomicBool::new(false);
static SIGCHLD_SEEN: AtomicBool = AtomicBool::new(false);
static WAKE_FD: AtomicI32 = AtomicI32::new(-1);

#[derive(Clone, Copy, PartialEq)]
enum WaitState {
    Free,
    Pending,
    Queued,
}

struct Wait {
    gen: u32,
    state: WaitState,
    outcome: c_int,
    co_ref: c_int,
    fd: i32,
    events: u32,
    has_timer: bool,
}

#[derive(Default, Clone, Copy)]
struct FdEntry {
    read: i64,
    write: i64,
    /// Interest currently registered with epoll (0 = not registered).
    registered: u32,
    /// The wrapper object (reader/writer/io) whose park set `registered`, or 0. While the same
    /// live object parks again with the same interest the registration is known to be current
    /// (the object is not used after its fd is closed), so the epoll_ctl is skipped.
    owner: usize,
}

enum Ready {
    /// A parked wait; resumed with its outcome as the single value.
    Wait(i64),
    /// `eco._resume(co)`: resumed with no value.
    Plain(c_int),
}

pub struct Sched {
    /// The state's main thread (lives as long as the state), for registry access from the ABI.
    pub main: State,
    ep: i32,
    wake_fd: i32,
    waits: Vec<Wait>,
    free: Vec<u32>,
    ready: VecDeque<Ready>,
    timers: TimerHeap,
    live_timers: usize,
    pending: usize,
    fds: Vec<FdEntry>,
    fd_waiters: usize,
    pub tracked_ref: c_int,
    pub tracked_count: usize,
    /// Coroutines started by `eco.run` that have not yielded yet (tracked lazily on first yield).
    pub inflight: Vec<State>,
    pub quit: bool,
    pub watchdog_ns: i64,
    pub resumed_at: i64,
    pub pid: i32,
    have_pwait2: bool,
    /// Waits longer than this are split in two (see [`split_wait`]).
    slack_split_ns: i64,
    events: Vec<libc::epoll_event>,
    /// Native read/write hook functions registered through the ABI (`hooks.rs`).
    pub hooks: Vec<(usize, u32)>,
}

/// The ABI table the core publishes (`sched` is filled in by `handle::Core::new`).
pub fn abi_table() -> EcoAbi {
    EcoAbi {
        abi_version: eco_abi::ABI_VERSION,
        struct_size: std::mem::size_of::<EcoAbi>() as u32,
        sched: std::ptr::null_mut(),
        park: abi_park,
        wake: abi_wake,
        cancel: abi_cancel,
        finish: abi_finish,
        now_ms: abi_now_ms,
        register_hook: crate::hooks::abi_register_hook,
    }
}

fn token_of(idx: usize, gen: u32) -> i64 {
    ((gen as i64) << 32) | (idx as i64 + 1)
}

impl Sched {
    pub fn new(main: State) -> Result<Sched, i32> {
        let ep = sys::epoll_create()?;
        let wake_fd = match sys::eventfd() {
            Ok(fd) => fd,
            Err(e) => {
                sys::close(ep);
                return Err(e);
            }
        };
        sys::epoll_ctl(ep, libc::EPOLL_CTL_ADD, wake_fd, READ, WAKE_DATA)?;
        Ok(Sched {
            main,
            ep,
            wake_fd,
            waits: Vec::new(),
            free: Vec::new(),
            ready: VecDeque::new(),
            timers: TimerHeap::default(),
            live_timers: 0,
            pending: 0,
            fds: Vec::new(),
            fd_waiters: 0,
            tracked_ref: ffi::LUA_NOREF,
            tracked_count: 0,
            inflight: Vec::new(),
            quit: false,
            watchdog_ns: DEFAULT_WATCHDOG_MS * 1_000_000,
            resumed_at: 0,
            pid: sys::getpid(),
            have_pwait2: true,
            slack_split_ns: sys::timer_slack_ns().saturating_mul(SLACK_DIVISOR),
            events: vec![libc::epoll_event { events: 0, u64: 0 }; 256],
            hooks: Vec::new(),
        })
    }

    /// Drops all inherited state after fork (spec/eco.md `_init`). Parked coroutines are released;
    /// the caller replaces the tracking table (that allocates, so not under a borrow).
    ///
    /// # Safety
    /// `l` is a thread of the scheduler's state (only `luaL_unref` is called on it).
    pub unsafe fn reset_after_fork(&mut self, l: State) -> Result<(), i32> {
        let ep = sys::epoll_create()?;
        let wake_fd = sys::eventfd()?;
        sys::epoll_ctl(ep, libc::EPOLL_CTL_ADD, wake_fd, READ, WAKE_DATA)?;
        sys::close(self.ep);
        sys::close(self.wake_fd);
        self.ep = ep;
        self.wake_fd = wake_fd;
        for w in self.waits.iter() {
            if w.state != WaitState::Free {
                // SAFETY: the contract; the reference is the wait's own.
                unsafe { ffi::luaL_unref(l, ffi::LUA_REGISTRYINDEX, w.co_ref) };
            }
        }
        for r in self.ready.drain(..) {
            if let Ready::Plain(r) = r {
                // SAFETY: the contract; the reference is the queue entry's own.
                unsafe { ffi::luaL_unref(l, ffi::LUA_REGISTRYINDEX, r) };
            }
        }
        self.waits.clear();
        self.free.clear();
        self.timers.clear();
        self.live_timers = 0;
        self.pending = 0;
        self.fds.clear();
        self.fd_waiters = 0;
        self.tracked_count = 0;
        self.inflight.clear();
        self.quit = false;
        self.watchdog_ns = DEFAULT_WATCHDOG_MS * 1_000_000;
        self.pid = sys::getpid();
        Ok(())
    }

    fn slot(&self, token: i64) -> Option<usize> {
        let idx = (token & 0xffff_ffff) as usize;
        if idx == 0 || idx > self.waits.len() {
            return None;
        }
        let w = &self.waits[idx - 1];
        if w.state != WaitState::Free && w.gen == (token >> 32) as u32 {
            Some(idx - 1)
        } else {
            None
        }
    }

    /// A wrapper object of `fd` is going away: its registration can no longer be trusted.
    pub fn forget_owner(&mut self, fd: i32, owner: usize) {
        if let Some(e) = self.fds.get_mut(fd as usize) {
            if e.owner == owner {
                e.owner = 0;
            }
        }
    }

    /// Directions of `events` that already have a waiter on `fd`.
    pub fn fd_busy(&self, fd: i32, events: u32) -> u32 {
        let Some(e) = self.fds.get(fd as usize) else {
            return 0;
        };
        let mut busy = 0;
        if events & READ != 0 && e.read != 0 {
            busy |= READ;
        }
        if events & WRITE != 0 && e.write != 0 {
            busy |= WRITE;
        }
        busy
    }

    /// Parks coroutine `co` (which must be the running one). `timeout_ns < 0`: none; `fd < 0`: no fd.
    ///
    /// # Safety
    /// `co` is a thread of the scheduler's state with room for one value (it is referenced from
    /// the registry with `lua_pushthread` + `luaL_ref`, which run no Lua code).
    pub unsafe fn park(
        &mut self,
        co: State,
        fd: i32,
        events: u32,
        timeout_ns: i64,
    ) -> Result<i64, i64> {
        // SAFETY: the same contract.
        unsafe { self.park_owned(co, fd, events, timeout_ns, 0) }
    }

    /// [`Sched::park`] for a wrapper object `owner` (its address; 0 = unknown).
    ///
    /// # Safety
    /// As for [`Sched::park`].
    pub unsafe fn park_owned(
        &mut self,
        co: State,
        fd: i32,
        events: u32,
        timeout_ns: i64,
        owner: usize,
    ) -> Result<i64, i64> {
        // SAFETY: the contract.
        if unsafe { ffi::lua_isyieldable(co) } == 0 {
            return Err(eco_abi::PARK_NOT_YIELDABLE);
        }
        if fd >= 0 {
            if self.fds.len() <= fd as usize {
                self.fds.resize(fd as usize + 1, FdEntry::default());
            }
            let e = self.fds[fd as usize];
            if (events & READ != 0 && e.read != 0) || (events & WRITE != 0 && e.write != 0) {
                return Err(eco_abi::PARK_BUSY);
            }
            let mut want = events;
            if e.read != 0 {
                want |= READ;
            }
            if e.write != 0 {
                want |= WRITE;
            }
            if owner == 0 || e.owner != owner || e.registered != want {
                self.set_interest(fd, want).map_err(|e| -(e as i64))?;
                self.fds[fd as usize].owner = owner;
            }
        }
        let idx = match self.free.pop() {
            Some(i) => i as usize,
            None => {
                self.waits.push(Wait {
                    gen: 0,
                    state: WaitState::Free,
                    outcome: 0,
                    co_ref: ffi::LUA_NOREF,
                    fd: -1,
                    events: 0,
                    has_timer: false,
                });
                self.waits.len() - 1
            }
        };
        // SAFETY: the contract.
        let co_ref = unsafe {
            ffi::lua_pushthread(co);
            ffi::luaL_ref(co, ffi::LUA_REGISTRYINDEX)
        };
        let w = &mut self.waits[idx];
        w.gen = w.gen.wrapping_add(1);
        w.state = WaitState::Pending;
        w.outcome = WAIT_PENDING;
        w.co_ref = co_ref;
        w.fd = fd;
        w.events = if fd >= 0 { events } else { 0 };
        w.has_timer = timeout_ns >= 0;
        let token = token_of(idx, w.gen);
        if fd >= 0 {
            let e = &mut self.fds[fd as usize];
            if events & READ != 0 {
                e.read = token;
                self.fd_waiters += 1;
            }
            if events & WRITE != 0 {
                e.write = token;
                self.fd_waiters += 1;
            }
        }
        if timeout_ns >= 0 {
            self.timers
                .push(sys::now_ns().saturating_add(timeout_ns), token);
            self.live_timers += 1;
        }
        self.pending += 1;
        Ok(token)
    }

    fn set_interest(&mut self, fd: i32, want: u32) -> Result<(), i32> {
        let e = &mut self.fds[fd as usize];
        let r = if e.registered != 0 {
            match sys::epoll_ctl(self.ep, libc::EPOLL_CTL_MOD, fd, want, fd as u64) {
                Err(libc::ENOENT) => {
                    sys::epoll_ctl(self.ep, libc::EPOLL_CTL_ADD, fd, want, fd as u64)
                }
                r => r,
            }
        } else {
            match sys::epoll_ctl(self.ep, libc::EPOLL_CTL_ADD, fd, want, fd as u64) {
                Err(libc::EEXIST) => {
                    sys::epoll_ctl(self.ep, libc::EPOLL_CTL_MOD, fd, want, fd as u64)
                }
                r => r,
            }
        };
        match r {
            Ok(()) => {
                e.registered = want;
                Ok(())
            }
            Err(err) => {
                if e.read == 0 && e.write == 0 {
                    e.registered = 0;
                }
                Err(err)
            }
        }
    }

    /// Ends a pending wait's registrations (fd waiter slots, timer accounting).
    fn detach(&mut self, i: usize, by_timer: bool) {
        let token = token_of(i, self.waits[i].gen);
        let w = &mut self.waits[i];
        if w.fd >= 0 {
            let e = &mut self.fds[w.fd as usize];
            if e.read == token {
                e.read = 0;
                self.fd_waiters -= 1;
            }
            if e.write == token {
                e.write = 0;
                self.fd_waiters -= 1;
            }
            w.fd = -1;
        }
        if w.has_timer {
            w.has_timer = false;
            self.live_timers -= 1;
            if !by_timer {
                self.timers.mark_stale();
            }
        }
        self.pending -= 1;
    }

    /// Queues a pending wait with `outcome`. A wait already queued by its timeout is re-labelled
    /// when `relabel` is set (a wake that races a timeout wins). Returns whether it applied.
    pub fn wake(&mut self, token: i64, outcome: c_int, relabel: bool) -> bool {
        let Some(i) = self.slot(token) else {
            return false;
        };
        match self.waits[i].state {
            WaitState::Pending => {
                self.detach(i, false);
                let w = &mut self.waits[i];
                w.state = WaitState::Queued;
                w.outcome = outcome;
                self.ready.push_back(Ready::Wait(token));
                true
            }
            WaitState::Queued if relabel && self.waits[i].outcome == WAIT_TIMEOUT => {
                self.waits[i].outcome = outcome;
                true
            }
            _ => false,
        }
    }

    /// Removes a wait without resuming its coroutine (object collected, or the coroutine gave up).
    ///
    /// # Safety
    /// `l` is a thread of the scheduler's state (only `luaL_unref` is called on it).
    pub unsafe fn abandon(&mut self, l: State, token: i64) -> c_int {
        let Some(i) = self.slot(token) else {
            return WAIT_PENDING;
        };
        let outcome = match self.waits[i].state {
            WaitState::Pending => {
                self.detach(i, false);
                WAIT_PENDING
            }
            _ => {
                // Queued: the ready entry becomes stale because the slot is freed below.
                self.waits[i].outcome
            }
        };
        let w = &mut self.waits[i];
        // SAFETY: the contract; the reference is the wait's own.
        unsafe { ffi::luaL_unref(l, ffi::LUA_REGISTRYINDEX, w.co_ref) };
        w.state = WaitState::Free;
        w.co_ref = ffi::LUA_NOREF;
        self.free.push(i as u32);
        outcome
    }

    /// `eco._resume(co)`: queues the thread held by registry reference `r` (resumed with no value).
    pub fn queue_plain(&mut self, r: c_int) {
        self.ready.push_back(Ready::Plain(r));
    }

    fn expire_timers(&mut self) {
        let now = sys::now_ns();
        while let Some(tok) = self.timers.pop_expired(now) {
            match self.slot(tok) {
                Some(i) if self.waits[i].state == WaitState::Pending && self.waits[i].has_timer => {
                    self.detach(i, true);
                    let w = &mut self.waits[i];
                    w.state = WaitState::Queued;
                    w.outcome = WAIT_TIMEOUT;
                    self.ready.push_back(Ready::Wait(tok));
                }
                _ => self.timers.popped_stale(),
            }
        }
    }

    /// Takes the next runnable entry off the ready queue, skipping stale ones: the coroutine's
    /// registry reference (now owned by the caller), and the outcome to resume it with (`None`:
    /// no value).
    fn next_ready(&mut self) -> Option<(c_int, Option<c_int>)> {
        while let Some(r) = self.ready.pop_front() {
            match r {
                Ready::Plain(r) => return Some((r, None)),
                Ready::Wait(tok) => {
                    let Some(i) = self.slot(tok) else { continue };
                    let w = &mut self.waits[i];
                    if w.state != WaitState::Queued {
                        continue;
                    }
                    w.state = WaitState::Free;
                    let r = w.co_ref;
                    w.co_ref = ffi::LUA_NOREF;
                    let outcome = w.outcome;
                    self.free.push(i as u32);
                    return Some((r, Some(outcome)));
                }
            }
        }
        None
    }

    pub fn next_timeout_ns(&mut self) -> i64 {
        if !self.ready.is_empty() {
            return 0;
        }
        let waits = &self.waits;
        let live = |tok: i64| {
            let idx = (tok & 0xffff_ffff) as usize;
            idx >= 1
                && idx <= waits.len()
                && waits[idx - 1].state == WaitState::Pending
                && waits[idx - 1].has_timer
                && waits[idx - 1].gen == (tok >> 32) as u32
        };
        self.timers.maybe_compact(live);
        match self.timers.next_deadline(live) {
            Some(d) => (d - sys::now_ns()).max(0),
            None => -1,
        }
    }

    /// The read half of dispatching an epoll event: queues the fd's read waiter if the event
    /// concerns it, returning its token (0: none queued). `None`: the fd is unknown (dropped).
    fn dispatch_read(&mut self, fd: i32, ev: u32) -> Option<i64> {
        let (err, hup) = (libc::EPOLLERR as u32, libc::EPOLLHUP as u32);
        if fd < 0 || fd as usize >= self.fds.len() {
            let _ = sys::epoll_ctl(self.ep, libc::EPOLL_CTL_DEL, fd, 0, 0);
            return None;
        }
        let rtok = self.fds[fd as usize].read;
        if ev & (READ | err | hup) != 0 && rtok != 0 {
            self.wake(rtok, WAIT_WOKEN, false);
            Some(rtok)
        } else {
            Some(0)
        }
    }

    /// The write half, after the read waiter ran: queues the write waiter unless it is the object
    /// just resumed (`rtok`), then drops epoll interest nobody waits for any more.
    fn dispatch_write(&mut self, fd: i32, ev: u32, rtok: i64) {
        let (err, hup) = (libc::EPOLLERR as u32, libc::EPOLLHUP as u32);
        if fd as usize >= self.fds.len() {
            return;
        }
        let wtok = self.fds[fd as usize].write;
        if ev & (WRITE | err | hup) != 0 && wtok != 0 && !(rtok != 0 && wtok == rtok) {
            self.wake(wtok, WAIT_WOKEN, false);
        }
        // Drop interest nobody waits for any more, so a level-triggered fd does not spin.
        let e = self.fds[fd as usize];
        let mut want = 0;
        if e.read != 0 {
            want |= READ;
        }
        if e.write != 0 {
            want |= WRITE;
        }
        if want == 0 {
            let _ = sys::epoll_ctl(self.ep, libc::EPOLL_CTL_DEL, fd, 0, 0);
            self.fds[fd as usize].registered = 0;
            self.fds[fd as usize].owner = 0;
        } else if want != e.registered {
            let _ = self.set_interest(fd, want);
        }
    }

    /// Whether the loop has nothing left to wait for (spec/eco.md 3.1 step 5).
    fn idle(&self) -> bool {
        self.pending == 0 && self.ready.is_empty()
    }

    /// One readiness wait of at most `timeout_ns` (split as [`split_wait`] says) into the event
    /// buffer, which is taken out of the scheduler: the events are dispatched while coroutines
    /// run, and a nested loop (eco.loop() from a resumed coroutine) uses a buffer of its own.
    fn wait_events(&mut self, timeout_ns: i64) -> Result<Vec<libc::epoll_event>, i32> {
        let mut events = std::mem::take(&mut self.events);
        if events.is_empty() {
            events = vec![libc::epoll_event { events: 0, u64: 0 }; 256];
        }
        let timeout = split_wait(timeout_ns, self.slack_split_ns);
        match sys::epoll_wait(self.ep, &mut events, timeout, &mut self.have_pwait2) {
            Ok(n) => {
                events.truncate(n);
                Ok(events)
            }
            Err(libc::EINTR) => {
                events.clear();
                Ok(events)
            }
            Err(e) => {
                self.give_back(events);
                Err(e)
            }
        }
    }

    /// Returns the event buffer taken by [`Sched::wait_events`].
    fn give_back(&mut self, mut events: Vec<libc::epoll_event>) {
        if self.events.is_empty() {
            events.resize(256, libc::epoll_event { events: 0, u64: 0 });
            self.events = events;
        }
    }
}

/// The kernel lets a timed wait end late by its timer slack: 0.1% of the timeout (0.5% for a
/// niced task), at least the thread's `timer_slack_ns` (50 us by default), so a 1 s sleep may
/// end 1 ms late. Waits longer than `split_ns` (where the proportional slack takes over) first
/// wait 1/64 less, which ends before the deadline even with the slack; the loop then waits the
/// rest, whose slack is the small fixed one. The process-wide slack itself is left alone
/// (`PR_SET_TIMERSLACK` would change it for every thread of the host program).
pub fn split_wait(timeout_ns: i64, split_ns: i64) -> i64 {
    if timeout_ns > split_ns {
        timeout_ns - timeout_ns / 64
    } else {
        timeout_ns
    }
}

/// `split_wait` threshold = timer slack x this (the kernel's divisor for a niced task).
const SLACK_DIVISOR: i64 = 200;

/// Resumes everything in the ready queue, including what gets queued meanwhile.
///
/// # Safety
/// `l` is a thread of the scheduler's Lua state with room for a few values.
pub unsafe fn drain(s: SchedRef, l: State) {
    while let Some((co_ref, outcome)) = s.with(|s| s.next_ready()) {
        // SAFETY: `co_ref` is a registry reference to a thread, owned by us now; nothing in
        // scheduler state is borrowed while the coroutine runs.
        unsafe {
            ffi::lua_rawgeti(l, ffi::LUA_REGISTRYINDEX, co_ref as ffi::lua_Integer);
            ffi::luaL_unref(l, ffi::LUA_REGISTRYINDEX, co_ref);
            let co = ffi::lua_tothread(l, -1);
            if co.is_null() || ffi::lua_status(co) != ffi::LUA_YIELD {
                // Resumed elsewhere meanwhile, or dead: nothing to continue.
                ffi::lua_pop(l, 1);
                continue;
            }
            let nargs = match outcome {
                Some(o) => {
                    ffi::lua_pushinteger(co, o as ffi::lua_Integer);
                    1
                }
                None => 0,
            };
            let idx = ffi::lua_gettop(l);
            resume(s, l, co, idx, nargs, false);
            ffi::lua_pop(l, 1);
        }
    }
}

/// Dispatches one epoll event (spec/eco.md 3.1 step 7).
///
/// # Safety
/// As for [`drain`].
unsafe fn dispatch(s: SchedRef, l: State, fd: i32, ev: u32) {
    let Some(rtok) = s.with(|s| s.dispatch_read(fd, ev)) else {
        return;
    };
    if rtok != 0 {
        // SAFETY: the caller's contract.
        unsafe { drain(s, l) };
    }
    s.with(|s| s.dispatch_write(fd, ev, rtok));
}

/// `eco.loop()`. Returns an OS error text if the readiness wait fails.
///
/// # Safety
/// As for [`drain`].
pub unsafe fn run_loop(s: SchedRef, l: State) -> Result<(), String> {
    let wake_fd = s.with(|s| {
        s.quit = false;
        s.wake_fd
    });
    let saved = install_signals(wake_fd);
    // SAFETY: (this block and the loop's) the caller's contract; no scheduler borrow is live
    // while the child hook or a coroutine runs.
    unsafe {
        // A child that exited before the loop started sent its SIGCHLD to nobody: reap it now
        // (issue 3: such a child must not stay a zombie).
        reap_children(l);
    }
    let mut result = Ok(());
    loop {
        s.with(|s| s.expire_timers());
        if SIGCHLD_SEEN.swap(false, Ordering::SeqCst) {
            // SAFETY: as above.
            unsafe { reap_children(l) };
        }
        // SAFETY: as above.
        unsafe { drain(s, l) };
        let (quit, idle, timeout, fd_waiters) =
            s.with(|s| (s.quit, s.idle(), s.next_timeout_ns(), s.fd_waiters));
        if quit || idle {
            break;
        }
        if timeout == 0 && fd_waiters == 0 {
            continue;
        }
        let events = match s.with(|s| s.wait_events(timeout)) {
            Ok(ev) => ev,
            Err(e) => {
                result = Err(eco_abi::strerror(e));
                break;
            }
        };
        for ev in &events {
            let (bits, data) = (ev.events, ev.u64);
            if data == WAKE_DATA {
                let mut b = [0u8; 8];
                let _ = sys::read(wake_fd, &mut b);
                continue;
            }
            // SAFETY: as above.
            unsafe { dispatch(s, l, data as i32, bits) };
        }
        s.with(|s| s.give_back(events));
        if SIGINT_SEEN.load(Ordering::SeqCst) {
            break;
        }
    }
    restore_signals(saved);
    if SIGCHLD_SEEN.swap(false, Ordering::SeqCst) {
        // SAFETY: as above.
        unsafe { reap_children(l) };
    }
    result
}

impl Drop for Sched {
    fn drop(&mut self) {
        sys::close(self.ep);
        sys::close(self.wake_fd);
    }
}

// ---- resume, panic path and watchdog ---------------------------------------------------------

/// Resumes `co` (whose thread value is at `co_idx` on `l`) with `nargs` values already pushed on
/// it. `fresh` marks a coroutine just created by `eco.run` (tracked only once it yields).
///
/// # Safety
/// `l` is a thread of the scheduler's state with room for a few values; `co` is a coroutine of
/// that state that can be resumed with the `nargs` values on top of its stack.
pub unsafe fn resume(s: SchedRef, l: State, co: State, co_idx: c_int, nargs: c_int, fresh: bool) {
    // the coarse clock: this only measures run time against the 300 ms fairness slice and the
    // watchdog's seconds, and it is read twice per resume
    let start = sys::coarse_now_ns();
    s.with(|s| {
        s.resumed_at = start;
        if fresh {
            s.inflight.push(co);
        }
    });
    let mut nres = 0;
    // SAFETY: the caller's contract; no scheduler borrow is live while the coroutine runs.
    let status = unsafe { ffi::lua_resume(co, l, nargs, &mut nres) };
    let (overrun, tracked_ref) = s.with(|s| {
        let overrun = if s.watchdog_ns > 0 {
            let elapsed = sys::coarse_now_ns() - s.resumed_at;
            (elapsed > s.watchdog_ns).then_some((s.watchdog_ns, elapsed))
        } else {
            None
        };
        // (a report runs Lua, during which `eco.all()` still lists the coroutine)
        if fresh && overrun.is_none() {
            s.inflight.pop();
        }
        (overrun, s.tracked_ref)
    });
    if let Some((watchdog_ns, elapsed)) = overrun {
        // SAFETY: as above (the report may call the panic hook).
        unsafe { watchdog_report(watchdog_ns, l, co, status, elapsed) };
        if fresh {
            s.with(|s| s.inflight.pop());
        }
    }
    // SAFETY: `co` finished or yielded (its stack is ours to clean); the tracking table is a
    // registry table of this state.
    unsafe {
        match status {
            ffi::LUA_YIELD => {
                ffi::lua_pop(co, nres);
                if fresh {
                    ffi::lua_rawgeti(l, ffi::LUA_REGISTRYINDEX, tracked_ref as ffi::lua_Integer);
                    ffi::lua_pushvalue(l, co_idx);
                    ffi::lua_pushboolean(l, 1);
                    ffi::lua_rawset(l, -3);
                    ffi::lua_pop(l, 1);
                    s.with(|s| s.tracked_count += 1);
                }
            }
            ffi::LUA_OK => {
                ffi::lua_settop(co, 0);
                if !fresh {
                    ffi::lua_rawgeti(l, ffi::LUA_REGISTRYINDEX, tracked_ref as ffi::lua_Integer);
                    ffi::lua_pushvalue(l, co_idx);
                    if ffi::lua_rawget(l, -2) != ffi::LUA_TNIL {
                        ffi::lua_pushvalue(l, co_idx);
                        ffi::lua_pushnil(l);
                        ffi::lua_rawset(l, -4);
                        s.with(|s| s.tracked_count -= 1);
                    }
                    ffi::lua_pop(l, 2);
                }
            }
            _ => panic_path(l, co),
        }
    }
}

/// Calls the panic hook with two strings, or prints them to stdout.
///
/// # Safety
/// `l` is a thread of the scheduler's state with the two strings on top; no scheduler borrow
/// is live (the hook is Lua code).
unsafe fn report(l: State) {
    // SAFETY: the contract; the hook runs protected (lua_pcall).
    unsafe {
        // Stack: ..., a, b
        ffi::lua_getfield(l, ffi::LUA_REGISTRYINDEX, c"eco.panic_hook".as_ptr());
        if ffi::lua_type(l, -1) == ffi::LUA_TFUNCTION {
            ffi::lua_pushvalue(l, -3);
            ffi::lua_pushvalue(l, -3);
            if ffi::lua_pcall(l, 2, 0, 0) != ffi::LUA_OK {
                ffi::lua_pop(l, 1);
            }
            ffi::lua_pop(l, 2);
        } else {
            ffi::lua_pop(l, 1);
            let mut out = Vec::new();
            for idx in [-2, -1] {
                if let Some(b) = crate::lua::to_bytes(l, idx) {
                    out.extend_from_slice(b);
                }
                out.push(b'\n');
            }
            ffi::lua_pop(l, 2);
            libc::fflush(std::ptr::null_mut());
            let mut off = 0;
            while off < out.len() {
                match sys::write(1, &out[off..]) {
                    Ok(n) if n > 0 => off += n,
                    _ => break,
                }
            }
        }
    }
}

/// The coroutine failed: tracebacks, hook or stdout, then exit(1) (spec/eco.md section 6).
///
/// # Safety
/// As for [`report`]; `co` is a coroutine of the state that ended with an error (on its top).
unsafe fn panic_path(l: State, co: State) -> ! {
    // SAFETY: the contract.
    unsafe {
        // The message as lua5.4 prints an uncaught error: a string or number as it is, another
        // value through its __tostring or as "(error object is a T value)".
        ffi::lua_checkstack(l, 4);
        ffi::lua_pushcfunction(l, error_message);
        // (moved, not copied: the dead coroutine's stack may have no free slot)
        ffi::lua_xmove(co, l, 1);
        if ffi::lua_pcall(l, 1, 1, 0) != ffi::LUA_OK {
            ffi::lua_pop(l, 1);
            ffi::lua_pushstring(l, c"(error object is not a string)".as_ptr());
        }
        let msg = ffi::lua_tostring(l, -1);
        ffi::luaL_traceback(l, co, msg, 0);
        ffi::luaL_traceback(l, l, std::ptr::null(), 0);
        report(l);
        libc::exit(1)
    }
}

/// The text of the error value at index 1 (called protected: a `__tostring` may raise).
///
/// # Safety
/// Called by Lua as a C function with one argument.
unsafe extern "C-unwind" fn error_message(l: State) -> c_int {
    // SAFETY: `l` is the running state with the value at index 1.
    unsafe {
        match ffi::lua_type(l, 1) {
            ffi::LUA_TSTRING | ffi::LUA_TNUMBER => {
                ffi::lua_tolstring(l, 1, std::ptr::null_mut());
                ffi::lua_settop(l, 1);
            }
            _ if ffi::luaL_callmeta(l, 1, c"__tostring".as_ptr()) != 0
                && ffi::lua_type(l, -1) == ffi::LUA_TSTRING => {}
            _ => {
                ffi::lua_settop(l, 1);
                let t = ffi::lua_typename(l, ffi::lua_type(l, 1));
                ffi::lua_pushfstring(l, c"(error object is a %s value)".as_ptr(), t);
            }
        }
        1
    }
}

/// A watchdog report (spec/eco.md section 7).
///
/// # Safety
/// As for [`report`]; `co` is the coroutine that was just resumed, ending with `status`.
unsafe fn watchdog_report(watchdog_ns: i64, l: State, co: State, status: c_int, elapsed_ns: i64) {
    // SAFETY: the contract (the hook runs protected; only a memory error could jump here).
    unsafe {
        let msg = format!(
            "coroutine execution timeout: run too long({} ms) without yielding/dead (>{} ms)",
            elapsed_ns / 1_000_000,
            watchdog_ns / 1_000_000
        );
        if status >= ffi::LUA_YIELD {
            let c = std::ffi::CString::new(msg).unwrap_or_default();
            ffi::luaL_traceback(l, co, c.as_ptr(), 0);
        } else {
            push_str(l, &msg);
        }
        ffi::luaL_traceback(l, l, std::ptr::null(), 0);
        report(l);
    }
}

// ---- signals and children ----------------------------------------------------------------------

extern "C" fn on_signal(sig: c_int) {
    if sig == libc::SIGINT {
        SIGINT_SEEN.store(true, Ordering::SeqCst);
    } else {
        SIGCHLD_SEEN.store(true, Ordering::SeqCst);
    }
    let fd = WAKE_FD.load(Ordering::SeqCst);
    if fd >= 0 {
        let one: u64 = 1;
        // SAFETY: write(2) is async-signal-safe; the buffer is a local.
        unsafe { libc::write(fd, (&one as *const u64).cast(), 8) };
    }
}

pub struct SavedSignals {
    actions: [(c_int, libc::sigaction); 3],
    wake_fd: i32,
}

fn install_signals(wake_fd: i32) -> SavedSignals {
    SIGINT_SEEN.store(false, Ordering::SeqCst);
    SIGCHLD_SEEN.store(false, Ordering::SeqCst);
    let prev_fd = WAKE_FD.swap(wake_fd, Ordering::SeqCst);
    // SAFETY: sigaction with valid, zero-initialised structures; the handler only touches atomics
    // and write(2).
    unsafe {
        let mut saved: [(c_int, libc::sigaction); 3] = std::mem::zeroed();
        for (i, sig) in [libc::SIGPIPE, libc::SIGINT, libc::SIGCHLD]
            .into_iter()
            .enumerate()
        {
            let mut sa: libc::sigaction = std::mem::zeroed();
            sa.sa_sigaction = if sig == libc::SIGPIPE {
                libc::SIG_IGN
            } else {
                on_signal as *const () as usize
            };
            sa.sa_flags = libc::SA_RESTART;
            libc::sigemptyset(&mut sa.sa_mask);
            saved[i].0 = sig;
            libc::sigaction(sig, &sa, &mut saved[i].1);
        }
        SavedSignals {
            actions: saved,
            wake_fd: prev_fd,
        }
    }
}

fn restore_signals(saved: SavedSignals) {
    for (sig, sa) in saved.actions.iter() {
        // SAFETY: restoring the dispositions saved by `install_signals`.
        unsafe { libc::sigaction(*sig, sa, std::ptr::null_mut()) };
    }
    WAKE_FD.store(saved.wake_fd, Ordering::SeqCst);
    SIGINT_SEEN.store(false, Ordering::SeqCst);
}

/// Reaps every exited or stopped child and hands it to the child hook (spec/eco.md 3.1 step 2).
///
/// # Safety
/// As for [`report`] (the hook is Lua code; it runs protected).
unsafe fn reap_children(l: State) {
    // SAFETY: the contract.
    unsafe {
        while let Some((pid, status)) = sys::reap_one() {
            ffi::lua_getfield(l, ffi::LUA_REGISTRYINDEX, c"eco.sigchld_hook".as_ptr());
            if ffi::lua_type(l, -1) != ffi::LUA_TFUNCTION {
                ffi::lua_pop(l, 1);
                continue;
            }
            ffi::lua_pushinteger(l, pid as ffi::lua_Integer);
            ffi::lua_createtable(l, 0, 2);
            if libc::WIFEXITED(status) {
                ffi::lua_pushboolean(l, 1);
                ffi::lua_setfield(l, -2, c"exited".as_ptr());
                ffi::lua_pushinteger(l, libc::WEXITSTATUS(status) as ffi::lua_Integer);
            } else if libc::WIFSIGNALED(status) {
                ffi::lua_pushboolean(l, 1);
                ffi::lua_setfield(l, -2, c"signaled".as_ptr());
                ffi::lua_pushinteger(l, libc::WTERMSIG(status) as ffi::lua_Integer);
            } else {
                ffi::lua_pushinteger(l, status as ffi::lua_Integer);
            }
            ffi::lua_setfield(l, -2, c"status".as_ptr());
            if ffi::lua_pcall(l, 2, 0, 0) != ffi::LUA_OK {
                let co = l;
                ffi::luaL_traceback(l, co, ffi::lua_tostring(l, -1), 0);
                ffi::lua_remove(l, -2);
                ffi::luaL_traceback(l, l, std::ptr::null(), 0);
                report(l);
                libc::exit(1);
            }
        }
    }
}

// ---- the published ABI -------------------------------------------------------------------------

extern "C-unwind" fn abi_park(
    sched: *mut c_void,
    co: *mut c_void,
    fd: c_int,
    events: u32,
    timeout_ms: i64,
) -> i64 {
    let timeout_ns = if timeout_ms < 0 {
        -1
    } else {
        crate::lua::ms_to_ns(timeout_ms as f64)
    };
    if events & !(READ | WRITE) != 0 || (fd >= 0 && events == 0) {
        return -(libc::EINVAL as i64);
    }
    // SAFETY: `sched` is the pointer we published; `co` is the running coroutine's lua_State.
    let s = unsafe { SchedRef::from_abi(sched) };
    // SAFETY: as above.
    match s.with(|s| unsafe { s.park(co as State, fd, events, timeout_ns) }) {
        Ok(t) => t,
        Err(e) => e,
    }
}

extern "C-unwind" fn abi_wake(sched: *mut c_void, token: i64) -> c_int {
    // SAFETY: `sched` is the pointer we published.
    let s = unsafe { SchedRef::from_abi(sched) };
    s.with(|s| s.wake(token, WAIT_WOKEN, true)) as c_int
}

extern "C-unwind" fn abi_cancel(sched: *mut c_void, token: i64) -> c_int {
    // SAFETY: `sched` is the pointer we published.
    let s = unsafe { SchedRef::from_abi(sched) };
    s.with(|s| s.wake(token, WAIT_CANCELED, false)) as c_int
}

extern "C-unwind" fn abi_finish(sched: *mut c_void, token: i64) -> c_int {
    // SAFETY: `sched` is the pointer we published.
    let s = unsafe { SchedRef::from_abi(sched) };
    // SAFETY: the registry is reached through the main thread, which lives as long as the state.
    s.with(|s| unsafe { s.abandon(s.main, token) })
}

extern "C-unwind" fn abi_now_ms(_sched: *mut c_void) -> i64 {
    sys::now_ns() / 1_000_000
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A Lua state with `n` fresh (yieldable) coroutines; returns the state and the threads.
    fn state_with_threads(n: usize) -> (State, Vec<State>) {
        // SAFETY: a new state; the threads stay on its stack (alive) until it is closed.
        unsafe {
            let l = ffi::luaL_newstate();
            let mut cos = Vec::new();
            for _ in 0..n {
                let co = ffi::lua_newthread(l);
                cos.push(co);
            }
            (l, cos)
        }
    }

    fn order(s: &Sched) -> Vec<i64> {
        s.ready
            .iter()
            .map(|r| match r {
                Ready::Wait(t) => *t,
                Ready::Plain(_) => -1,
            })
            .collect()
    }

    #[test]
    fn wakes_queue_in_call_order_and_only_once() {
        // SAFETY: the test\'s own state and threads (closed at the end), own descriptors.
        unsafe {
            let (l, cos) = state_with_threads(3);
            let mut s = Sched::new(l).unwrap();
            let t: Vec<i64> = cos
                .iter()
                .map(|&co| s.park(co, -1, 0, -1).unwrap())
                .collect();
            assert_eq!(s.pending, 3);
            assert!(s.wake(t[2], WAIT_WOKEN, true));
            assert!(s.wake(t[0], WAIT_WOKEN, true));
            assert!(
                !s.wake(t[0], WAIT_WOKEN, true),
                "a queued wait is not queued twice"
            );
            assert_eq!(order(&s), vec![t[2], t[0]]);
            assert_eq!(s.pending, 1);
            ffi::lua_close(l);
        }
    }

    #[test]
    fn timeouts_fire_in_deadline_order_and_a_wake_wins_the_race() {
        // SAFETY: the test\'s own state and threads (closed at the end), own descriptors.
        unsafe {
            let (l, cos) = state_with_threads(3);
            let mut s = Sched::new(l).unwrap();
            let slow = s.park(cos[0], -1, 0, 2_000_000).unwrap();
            let fast = s.park(cos[1], -1, 0, 0).unwrap();
            let never = s.park(cos[2], -1, 0, -1).unwrap();
            std::thread::sleep(std::time::Duration::from_millis(5));
            s.expire_timers();
            assert_eq!(order(&s), vec![fast, slow]);
            assert_eq!(s.live_timers, 0);
            // Timed out but not resumed yet: a wake re-labels it, a cancel does not.
            assert!(!s.wake(slow, WAIT_CANCELED, false));
            assert!(s.wake(slow, WAIT_WOKEN, true));
            let i = s.slot(slow).unwrap();
            assert_eq!(s.waits[i].outcome, WAIT_WOKEN);
            let j = s.slot(fast).unwrap();
            assert_eq!(s.waits[j].outcome, WAIT_TIMEOUT);
            assert_eq!(s.pending, 1);
            assert!(s.wake(never, WAIT_CANCELED, false));
            ffi::lua_close(l);
        }
    }

    #[test]
    fn stale_tokens_are_ignored_after_the_slot_is_reused() {
        // SAFETY: the test\'s own state and threads (closed at the end), own descriptors.
        unsafe {
            let (l, cos) = state_with_threads(2);
            let mut s = Sched::new(l).unwrap();
            let a = s.park(cos[0], -1, 0, 1_000_000_000).unwrap();
            s.abandon(l, a);
            assert_eq!(s.pending, 0);
            assert_eq!(s.live_timers, 0);
            let b = s.park(cos[1], -1, 0, -1).unwrap();
            assert_ne!(a, b, "a reused slot gets a new generation");
            assert!(!s.wake(a, WAIT_WOKEN, true));
            assert!(s.wake(b, WAIT_WOKEN, true));
            ffi::lua_close(l);
        }
    }

    #[test]
    fn fd_waiters_follow_busy_rules() {
        // SAFETY: the test\'s own state and threads (closed at the end), own descriptors.
        unsafe {
            let (l, cos) = state_with_threads(3);
            let mut s = Sched::new(l).unwrap();
            let mut fds = [0; 2];
            assert_eq!(
                libc::socketpair(libc::AF_UNIX, libc::SOCK_STREAM, 0, fds.as_mut_ptr()),
                0
            );
            let r = s.park(cos[0], fds[0], READ, -1).unwrap();
            assert_eq!(s.park(cos[1], fds[0], READ, -1), Err(eco_abi::PARK_BUSY));
            let w = s.park(cos[1], fds[0], WRITE, -1).unwrap();
            assert_eq!(s.fd_busy(fds[0], READ | WRITE), READ | WRITE);
            assert_eq!(s.fd_waiters, 2);
            assert!(s.wake(r, WAIT_CANCELED, false));
            assert_eq!(s.fd_busy(fds[0], READ | WRITE), WRITE);
            s.abandon(l, w);
            assert_eq!(s.fd_waiters, 0);
            // Regular files cannot be polled: the OS error comes back, nothing is registered.
            let f = libc::open(c"/proc/self/status".as_ptr(), libc::O_RDONLY);
            assert_eq!(s.park(cos[2], f, READ, -1), Err(-(libc::EPERM as i64)));
            assert_eq!(s.pending, 0);
            libc::close(f);
            libc::close(fds[0]);
            libc::close(fds[1]);
            ffi::lua_close(l);
        }
    }

    #[test]
    fn long_waits_are_split_so_the_kernel_slack_cannot_make_them_late() {
        let split = 50_000 * SLACK_DIVISOR;
        assert_eq!(split_wait(-1, split), -1);
        assert_eq!(split_wait(5_000_000, split), 5_000_000);
        for t in [20_000_000i64, 100_000_000, 1_000_000_000, 3_600_000_000_000] {
            let first = split_wait(t, split);
            // even a niced task's slack (0.5% of the wait) ends the first wait before `t`
            assert!(first + first / 200 < t, "{t}");
            // and the rest is short enough for the fixed 50 us slack (or is split again)
            assert!(t - first <= t / 64 + 1);
        }
    }

    #[test]
    fn main_thread_cannot_park() {
        // SAFETY: the test's own state, closed at the end.
        unsafe {
            let (l, _) = state_with_threads(0);
            let mut s = Sched::new(l).unwrap();
            assert_eq!(s.park(l, -1, 0, 0), Err(eco_abi::PARK_NOT_YIELDABLE));
            assert_eq!(s.pending, 0);
            assert_eq!(s.timers.len(), 0);
            ffi::lua_close(l);
        }
    }
}
